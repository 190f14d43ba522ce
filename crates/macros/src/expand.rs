//! The expansions of `#[greenery::main]` and `#[greenery::test]`, on `proc_macro2` tokens so
//! that unit tests can call them.

use proc_macro2::{Literal, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Ident, Item, ItemFn, Lit, Meta, ReturnType, Token, Type};

/// Which attribute is expanding: its name in messages, and the options it takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Main,
    Test,
}

impl Kind {
    fn attribute(self) -> &'static str {
        match self {
            Kind::Main => "#[greenery::main]",
            Kind::Test => "#[greenery::test]",
        }
    }

    fn options(self) -> &'static [&'static str] {
        match self {
            Kind::Main => &["start_paused"],
            Kind::Test => &["start_paused", "seed", "explore", "pct_depth"],
        }
    }

    /// The valid options as a message lists them: `a`, `a or b`, `a, b or c`.
    fn expected(self) -> String {
        match self.options() {
            [] => "no options".to_owned(),
            [one] => (*one).to_owned(),
            [init @ .., last] => format!("{} or {last}", init.join(", ")),
        }
    }
}

/// The options given to an attribute (`pct_depth` with its `name = value`, which an error
/// may point at later).
#[derive(Default)]
struct Options {
    start_paused: Option<bool>,
    seed: Option<u64>,
    explore: Option<usize>,
    pct_depth: Option<(u32, TokenStream)>,
}

impl Options {
    /// Parses `name = literal, ...`, collecting every error (each spanned on its option).
    fn parse(kind: Kind, args: TokenStream) -> syn::Result<Options> {
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
        let mut options = Options::default();
        let mut errors = Errors::default();
        for meta in &metas {
            errors.push(options.set(kind, meta));
        }
        // Only when `explore` is absent, not when it was given and rejected.
        let explore_given = metas.iter().any(|meta| meta.path().is_ident("explore"));
        if let (Some((_, pct_depth)), false) = (&options.pct_depth, explore_given) {
            errors.push(Err(syn::Error::new_spanned(
                pct_depth,
                "pct_depth needs explore: PCT is a way to explore schedules, so give their \
                 number too (`explore = 100, pct_depth = 2`)",
            )));
        }
        errors.finish()?;
        Ok(options)
    }

    fn set(&mut self, kind: Kind, meta: &Meta) -> syn::Result<()> {
        let attribute = kind.attribute();
        let expected = kind.expected();
        let path = meta.path();
        let Some(name) = path.get_ident().map(Ident::to_string) else {
            return Err(syn::Error::new_spanned(
                path,
                format!(
                    "unknown option `{}` for {attribute}: expected {expected}",
                    path.to_token_stream().to_string().replace(' ', "")
                ),
            ));
        };
        if !kind.options().contains(&name.as_str()) {
            let elsewhere = match kind {
                Kind::Main if Kind::Test.options().contains(&name.as_str()) => {
                    format!(" (`{name}` is an option of #[greenery::test])")
                }
                _ => String::new(),
            };
            return Err(syn::Error::new_spanned(
                meta,
                format!("unknown option `{name}` for {attribute}: expected {expected}{elsewhere}"),
            ));
        }
        let Meta::NameValue(pair) = meta else {
            return Err(syn::Error::new_spanned(
                meta,
                format!(
                    "option `{name}` of {attribute} takes a value: `{name} = {}`",
                    example(&name)
                ),
            ));
        };
        let option = meta.to_token_stream();
        let taken = match name.as_str() {
            "start_paused" => self.start_paused.is_some(),
            "seed" => self.seed.is_some(),
            "explore" => self.explore.is_some(),
            _ => self.pct_depth.is_some(),
        };
        if taken {
            return Err(syn::Error::new_spanned(
                option,
                format!("duplicate option `{name}` for {attribute}: give it once"),
            ));
        }
        let value = &pair.value;
        match name.as_str() {
            "start_paused" => {
                let Expr::Lit(ExprLit {
                    lit: Lit::Bool(b), ..
                }) = value
                else {
                    return Err(wrong_type(&name, "a bool (`true` or `false`)", value));
                };
                self.start_paused = Some(b.value);
            }
            "seed" => self.seed = Some(integer(&name, value, "a u64")?),
            "explore" => {
                let schedules = integer(&name, value, "a usize")?;
                if schedules == 0 {
                    return Err(syn::Error::new_spanned(
                        option,
                        "explore = 0: a test must run at least one schedule",
                    ));
                }
                self.explore = Some(schedules);
            }
            _ => {
                let depth = integer(&name, value, "a u32")?;
                if depth == 0 {
                    return Err(syn::Error::new_spanned(
                        option,
                        "pct_depth = 0: PCT needs a depth of at least 1 (the number of ordering \
                         constraints a bug needs, often 1 to 3)",
                    ));
                }
                self.pct_depth = Some((depth, option));
            }
        }
        Ok(())
    }

    /// The `Builder` calls, in the builder's order.
    fn builder_calls(&self) -> TokenStream {
        let mut calls = TokenStream::new();
        if let Some(paused) = self.start_paused {
            calls.extend(quote!(.start_paused(#paused)));
        }
        if let Some(seed) = self.seed {
            let seed = Literal::u64_suffixed(seed);
            calls.extend(quote!(.seed(#seed)));
        }
        if let Some(schedules) = self.explore {
            let schedules = Literal::usize_suffixed(schedules);
            calls.extend(quote!(.explore(#schedules)));
        }
        if let Some((depth, _)) = &self.pct_depth {
            let depth = Literal::u32_suffixed(*depth);
            calls.extend(quote!(.pct_depth(#depth)));
        }
        calls
    }
}

/// A value's example in messages.
fn example(name: &str) -> &'static str {
    match name {
        "start_paused" => "true",
        "seed" => "42",
        "explore" => "100",
        _ => "2",
    }
}

fn wrong_type(name: &str, what: &str, value: &Expr) -> syn::Error {
    syn::Error::new_spanned(
        value,
        format!(
            "option `{name}` takes {what}, as `{name} = {}`",
            example(name)
        ),
    )
}

/// An unsigned integer literal that fits `T` (named `type_name` in messages).
fn integer<T>(name: &str, value: &Expr, type_name: &str) -> syn::Result<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let what = format!("an integer ({type_name})");
    let what = what.as_str();
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) if !int.base10_digits().starts_with('-') => int.base10_parse().map_err(|e| {
            syn::Error::new_spanned(value, format!("option `{name}`: {e}; it takes {what}"))
        }),
        _ => Err(wrong_type(name, what, value)),
    }
}

/// Errors collected so that one expansion reports them all.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, result: syn::Result<()>) {
        if let Err(e) = result {
            match &mut self.0 {
                Some(all) => all.combine(e),
                None => self.0 = Some(e),
            }
        }
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// The function an attribute is on, checked: `async`, no arguments, not generic.
fn function(kind: Kind, item: TokenStream) -> syn::Result<ItemFn> {
    let attribute = kind.attribute();
    let function = match syn::parse2::<Item>(item)? {
        Item::Fn(function) => function,
        other => {
            return Err(syn::Error::new_spanned(
                &other,
                format!("{attribute} goes on an `async fn`"),
            ));
        }
    };
    let mut errors = Errors::default();
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        errors.push(Err(syn::Error::new_spanned(
            sig.fn_token,
            format!(
                "the `async` keyword is missing from the function declaration: {attribute} \
                 goes on an `async fn`"
            ),
        )));
    }
    if !sig.inputs.is_empty() {
        errors.push(Err(syn::Error::new_spanned(
            &sig.inputs,
            format!("a {attribute} function takes no arguments"),
        )));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(Err(syn::Error::new_spanned(
            variadic,
            format!("a {attribute} function takes no arguments"),
        )));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push(Err(syn::Error::new_spanned(
            &sig.generics,
            format!("a {attribute} function cannot be generic"),
        )));
    }
    if kind == Kind::Test {
        if let Some(test) = function.attrs.iter().find(|a| a.path().is_ident("test")) {
            errors.push(Err(syn::Error::new_spanned(
                test,
                "#[greenery::test] already makes the function a test: remove this #[test]",
            )));
        }
    }
    errors.finish()?;
    Ok(function)
}

/// `#[greenery::main]`: `fn main() -> R { ::greenery::run(async move { body }) }`.
pub(crate) fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    let options = Options::parse(Kind::Main, args);
    let function = function(Kind::Main, item.clone());
    let (options, function) = match (options, function) {
        (Ok(options), Ok(function)) => (options, function),
        (options, function) => {
            let mut errors = Errors::default();
            errors.push(options.map(drop));
            errors.push(function.map(drop));
            // A plain `fn` of the same name stands in for a function that failed, so that the
            // only errors are these, not "`main` function not found" as well; anything else
            // stays as it was.
            let stand_in = match syn::parse2::<ItemFn>(item.clone()) {
                Ok(f) => {
                    let ident = &f.sig.ident;
                    quote!(fn #ident() {})
                }
                Err(_) => item,
            };
            let errors = errors.finish().err().map(|e| e.to_compile_error());
            return quote!(#errors #stand_in);
        }
    };
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = function;
    sig.asyncness = None;
    let pause = match options.start_paused {
        Some(true) => quote!(::greenery::testing::pause();),
        _ => TokenStream::new(),
    };
    quote! {
        #(#attrs)*
        #vis #sig {
            #pause
            ::greenery::run(async move #block)
        }
    }
}

/// `#[greenery::test]`: a `#[test]` whose body runs under `greenery::testing::Builder`.
pub(crate) fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    let options = Options::parse(Kind::Test, args);
    let function = function(Kind::Test, item);
    let (options, function) = match (options, function) {
        (Ok(options), Ok(function)) => (options, function),
        (options, function) => {
            let mut errors = Errors::default();
            errors.push(options.map(drop));
            errors.push(function.map(drop));
            return errors
                .finish()
                .err()
                .map_or_else(TokenStream::new, |e| e.to_compile_error());
        }
    };
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = function;
    sig.asyncness = None;
    let calls = options.builder_calls();
    let body = match std::mem::replace(&mut sig.output, ReturnType::Default) {
        ReturnType::Type(_, ty) if !is_unit(&ty) => {
            let name = sig.ident.to_string();
            let check = quote_spanned! {ty.span()=>
                match __greenery_result {
                    ::core::result::Result::Ok(()) => {}
                    ::core::result::Result::Err(error) => {
                        ::core::panic!("test `{}` returned an error: {:?}", #name, error)
                    }
                }
            };
            quote! {
                async move {
                    let __greenery_result: #ty = async move #block.await;
                    #check
                }
            }
        }
        _ => quote!(async move #block),
    };
    quote! {
        #[::core::prelude::v1::test]
        #(#attrs)*
        #vis #sig {
            ::greenery::testing::Builder::new() #calls .run(|| #body);
        }
    }
}

fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(tuple) if tuple.elems.is_empty())
}

#[cfg(test)]
mod tests {
    use super::{main, test};
    use quote::quote;

    /// The expansion as rustfmt would not print it, but one space between tokens: enough to
    /// compare.
    fn text(tokens: proc_macro2::TokenStream) -> String {
        tokens.to_string()
    }

    #[test]
    fn main_runs_the_body_on_the_hub() {
        let out = main(
            quote!(),
            quote! {
                async fn main() -> Result<(), std::io::Error> { Ok(()) }
            },
        );
        assert_eq!(
            text(out),
            text(quote! {
                fn main() -> Result<(), std::io::Error> {
                    ::greenery::run(async move { Ok(()) })
                }
            })
        );
    }

    #[test]
    fn main_start_paused_pauses_the_clock_first() {
        let out = main(
            quote!(start_paused = true),
            quote! {
                /// Docs stay.
                pub async fn serve() { work().await }
            },
        );
        assert_eq!(
            text(out),
            text(quote! {
                #[doc = r" Docs stay."]
                pub fn serve() {
                    ::greenery::testing::pause();
                    ::greenery::run(async move { work().await })
                }
            })
        );
        let unpaused = main(
            quote!(start_paused = false),
            quote!(
                async fn main() {}
            ),
        );
        assert_eq!(
            text(unpaused),
            text(quote!(
                fn main() {
                    ::greenery::run(async move {})
                }
            ))
        );
    }

    #[test]
    fn test_builds_a_builder_from_the_options_and_keeps_the_attributes() {
        let out = test(
            quote!(pct_depth = 2, explore = 0x10, seed = 7, start_paused = true,),
            quote! {
                /// Docs stay.
                #[should_panic(expected = "boom")]
                async fn boom() { panic!("boom") }
            },
        );
        assert_eq!(
            text(out),
            text(quote! {
                #[::core::prelude::v1::test]
                #[doc = r" Docs stay."]
                #[should_panic(expected = "boom")]
                fn boom() {
                    ::greenery::testing::Builder::new()
                        .start_paused(true)
                        .seed(7u64)
                        .explore(16usize)
                        .pct_depth(2u32)
                        .run(|| async move { panic!("boom") });
                }
            })
        );
    }

    #[test]
    fn a_result_test_unwraps_its_error() {
        let out = test(
            quote!(),
            quote! {
                async fn fallible() -> Result<(), String> { Err("no".into()) }
            },
        );
        assert_eq!(
            text(out),
            text(quote! {
                #[::core::prelude::v1::test]
                fn fallible() {
                    ::greenery::testing::Builder::new().run(|| async move {
                        let __greenery_result: Result<(), String> =
                            async move { Err("no".into()) }.await;
                        match __greenery_result {
                            ::core::result::Result::Ok(()) => {}
                            ::core::result::Result::Err(error) => {
                                ::core::panic!("test `{}` returned an error: {:?}", "fallible", error)
                            }
                        }
                    });
                }
            })
        );
        let unit = test(
            quote!(),
            quote!(
                async fn unit() -> () {}
            ),
        );
        assert_eq!(
            text(unit),
            text(quote! {
                #[::core::prelude::v1::test]
                fn unit() {
                    ::greenery::testing::Builder::new().run(|| async move {});
                }
            })
        );
    }

    #[test]
    fn errors_are_collected_and_name_the_option() {
        let out = text(test(
            quote!(
                explor = 3,
                seed = "x",
                seed = 1,
                start_paused,
                pct_depth = 1
            ),
            quote!(
                fn not_async(x: u32) {}
            ),
        ));
        for message in [
            "unknown option `explor` for #[greenery::test]: expected start_paused, seed, \
             explore or pct_depth",
            "option `seed` takes an integer (a u64), as `seed = 42`",
            "option `start_paused` of #[greenery::test] takes a value: `start_paused = true`",
            "pct_depth needs explore",
            "the `async` keyword is missing",
            "a #[greenery::test] function takes no arguments",
        ] {
            assert!(out.contains(message), "{message:?} not in {out}");
        }
        // `seed = "x"` was rejected, so the second `seed` is not a duplicate.
        assert!(!out.contains("duplicate"), "{out}");
        let zero = text(test(
            quote!(explore = 0, pct_depth = 2),
            quote!(
                async fn t() {}
            ),
        ));
        assert!(zero.contains("explore = 0: a test must run at least one schedule"));
        assert!(!zero.contains("pct_depth needs explore"), "{zero}");
        let dup = text(test(
            quote!(seed = 1, seed = 2),
            quote!(
                async fn t() {}
            ),
        ));
        assert!(
            dup.contains("duplicate option `seed` for #[greenery::test]"),
            "{dup}"
        );
        let main = text(main(
            quote!(seed = 1),
            quote!(
                async fn main() {}
            ),
        ));
        assert!(
            main.contains(
                "unknown option `seed` for #[greenery::main]: expected start_paused (`seed` is \
                 an option of #[greenery::test])"
            ),
            "{main}"
        );
        assert!(main.ends_with("fn main () { }"), "{main}");
    }
}
