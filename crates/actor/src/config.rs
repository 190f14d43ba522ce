//! Mailbox settings: `MailboxConfig` (how many messages a mailbox holds) and `Overflow` (what
//! a send to a full one does).

/// What [`Addr::send`](crate::Addr::send) does when the mailbox is full.
///
/// # Examples
///
/// ```
/// use greenery::actor::{MailboxConfig, Overflow};
///
/// let config = MailboxConfig::new().overflow(Overflow::Fail);
/// assert_eq!(config.overflow_policy(), Overflow::Fail);
/// assert_eq!(Overflow::default(), Overflow::Wait);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Overflow {
    /// `send` waits until the actor made room (back-pressure). The default.
    #[default]
    Wait,
    /// `send` fails at once with [`SendError::Full`](crate::SendError::Full), handing the
    /// message back.
    Fail,
}

/// How big an actor's mailbox is and what happens when it is full.
///
/// The default ([`MailboxConfig::new`]) holds 64 messages, and
/// [`Addr::send`](crate::Addr::send) waits while it is full ([`Overflow::Wait`]).
///
/// # Examples
///
/// ```
/// use greenery::actor::{MailboxConfig, Overflow};
///
/// let config = MailboxConfig::new().capacity(8).overflow(Overflow::Fail);
/// assert_eq!(config.capacity_limit(), Some(8));
/// assert_eq!(MailboxConfig::new().unbounded().capacity_limit(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MailboxConfig {
    pub(crate) capacity: Option<usize>,
    pub(crate) overflow: Overflow,
}

impl MailboxConfig {
    /// The default capacity of a mailbox.
    pub const DEFAULT_CAPACITY: usize = 64;

    /// Returns the default configuration: [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY)
    /// messages, [`Overflow::Wait`].
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{MailboxConfig, Overflow};
    ///
    /// let config = MailboxConfig::new();
    /// assert_eq!(config.capacity_limit(), Some(64));
    /// assert_eq!(config.overflow_policy(), Overflow::Wait);
    /// ```
    pub const fn new() -> Self {
        MailboxConfig {
            capacity: Some(Self::DEFAULT_CAPACITY),
            overflow: Overflow::Wait,
        }
    }

    /// Sets how many messages the mailbox holds.
    ///
    /// # Panics
    ///
    /// Panics if `capacity` is 0 (a mailbox holds at least one message).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::MailboxConfig;
    ///
    /// assert_eq!(MailboxConfig::new().capacity(1).capacity_limit(), Some(1));
    /// ```
    #[track_caller]
    pub const fn capacity(mut self, capacity: usize) -> Self {
        assert!(capacity > 0, "a mailbox holds at least one message");
        self.capacity = Some(capacity);
        self
    }

    /// Removes the size limit: `send` never waits and never fails with `Full` (memory is
    /// the limit; prefer a bound).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::MailboxConfig;
    ///
    /// assert_eq!(MailboxConfig::new().unbounded().capacity_limit(), None);
    /// ```
    pub const fn unbounded(mut self) -> Self {
        self.capacity = None;
        self
    }

    /// Sets what `send` does when the mailbox is full.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{MailboxConfig, Overflow};
    ///
    /// let config = MailboxConfig::new().overflow(Overflow::Fail);
    /// assert_eq!(config.overflow_policy(), Overflow::Fail);
    /// ```
    pub const fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// Returns the capacity, or `None` if unbounded.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::MailboxConfig;
    ///
    /// assert_eq!(MailboxConfig::default().capacity_limit(), Some(64));
    /// ```
    pub const fn capacity_limit(&self) -> Option<usize> {
        self.capacity
    }

    /// Returns what `send` does when the mailbox is full.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{MailboxConfig, Overflow};
    ///
    /// assert_eq!(MailboxConfig::default().overflow_policy(), Overflow::Wait);
    /// ```
    pub const fn overflow_policy(&self) -> Overflow {
        self.overflow
    }
}

impl Default for MailboxConfig {
    fn default() -> Self {
        Self::new()
    }
}
