//! The `tracing` feature: a span per greenlet, entered on every poll, and events for spawn,
//! finish, panic, kill and blocked polls. Without the feature every function here is empty
//! and no `tracing` code is compiled in.
//!
//! The span is `greenlet` (target `greenery`, level INFO) with the fields `id`, `name`,
//! `parent` and `spawned_at`; the events are at target `greenery` too: `spawn` and `finish`
//! at TRACE, `kill` at DEBUG, `panic` at ERROR and `blocked` at WARN.

#[cfg(feature = "tracing")]
use std::panic::Location;

#[cfg(feature = "tracing")]
use crate::ident::GreenletId;
use crate::ident::GreenletInfo;

/// How a greenlet ended, for its `finish`, `panic` or `kill` event.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum Ending<'a> {
    /// It returned.
    Returned,
    /// It panicked with this message.
    Panicked(&'a str),
    /// It was killed.
    Killed,
}

/// The span of a new greenlet.
#[cfg(feature = "tracing")]
pub(crate) fn span(
    id: GreenletId,
    parent: Option<GreenletId>,
    spawned_at: &'static Location<'static>,
) -> tracing::Span {
    tracing::info_span!(
        target: "greenery",
        "greenlet",
        id = id.as_u64(),
        name = tracing::field::Empty,
        parent = parent.map(GreenletId::as_u64),
        spawned_at = %spawned_at,
    )
}

/// Runs `f` inside the span of `info`'s greenlet.
#[inline]
pub(crate) fn in_span<R>(info: &GreenletInfo, f: impl FnOnce() -> R) -> R {
    #[cfg(feature = "tracing")]
    return info.span.in_scope(f);
    #[cfg(not(feature = "tracing"))]
    {
        let _ = info;
        f()
    }
}

/// The `spawn` event, inside the new greenlet's span.
#[inline]
pub(crate) fn spawned(info: &GreenletInfo) {
    #[cfg(feature = "tracing")]
    info.span
        .in_scope(|| tracing::trace!(target: "greenery", "spawn"));
    #[cfg(not(feature = "tracing"))]
    let _ = info;
}

/// Records a new name in the greenlet's span.
#[inline]
pub(crate) fn renamed(info: &GreenletInfo, name: &str) {
    #[cfg(feature = "tracing")]
    info.span.record("name", name);
    #[cfg(not(feature = "tracing"))]
    let _ = (info, name);
}

/// The event of a greenlet's end: `finish`, `panic` or `kill`, inside its span.
#[doc(hidden)]
#[inline]
pub fn finished(info: &GreenletInfo, ending: Ending<'_>) {
    if let Ending::Panicked(message) = ending {
        crate::hub::note_failure(|| format!("<Greenlet \"{}\"> panicked: {message}", info.name()));
    }
    #[cfg(feature = "tracing")]
    info.span.in_scope(|| match ending {
        Ending::Returned => tracing::trace!(target: "greenery", "finish"),
        Ending::Panicked(message) => tracing::error!(target: "greenery", message, "panic"),
        Ending::Killed => tracing::debug!(target: "greenery", "kill"),
    });
    #[cfg(not(feature = "tracing"))]
    let _ = (info, ending);
}

/// The `blocked` event of a poll that held the hub too long.
#[inline]
pub(crate) fn blocked(info: &GreenletInfo, blocked: &crate::Blocked) {
    #[cfg(feature = "tracing")]
    info.span.in_scope(|| {
        tracing::warn!(
            target: "greenery",
            took_us = u64::try_from(blocked.took().as_micros()).unwrap_or(u64::MAX),
            limit_us = u64::try_from(blocked.limit().as_micros()).unwrap_or(u64::MAX),
            "blocked"
        );
    });
    #[cfg(not(feature = "tracing"))]
    let _ = (info, blocked);
}
