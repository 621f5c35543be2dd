//! Class ids of built-ins QuickJS has no public predicate for (boxed primitives, arguments
//! objects, generator functions), learnt once from sample objects. They are compile-time constants
//! of the QuickJS build, identical in every runtime, so one complete probe is cached process-wide.

use std::sync::OnceLock;

use rquickjs::context::EvalOptions;
use rquickjs::{Array, Ctx, Object, Symbol, Value};

use super::raw;

#[derive(Clone, Copy, Default)]
pub(super) struct ClassIds {
    pub(super) object: u32,
    pub(super) error: u32,
    pub(super) number: u32,
    pub(super) string: u32,
    pub(super) boolean: u32,
    pub(super) symbol: u32,
    pub(super) big_int: u32,
    pub(super) arguments: u32,
    pub(super) mapped_arguments: u32,
    pub(super) generator_function: u32,
    pub(super) async_generator_function: u32,
}

static CLASS_IDS: OnceLock<ClassIds> = OnceLock::new();

const SAMPLES: &str = "(function (a) { return [arguments, (function () { 'use strict'; \
                       return arguments; })(), function* () {}, async function* () {}]; })(0)";

impl ClassIds {
    /// The cached ids, or a fresh probe; only a complete probe is cached (a context without
    /// `eval` cannot compile the samples, but another context may).
    pub(super) fn get(ctx: &Ctx<'_>) -> Self {
        if let Some(ids) = CLASS_IDS.get() {
            return *ids;
        }
        let ids = Self::probe(ctx);
        match ids.compiled_samples(ctx) {
            Some(ids) => *CLASS_IDS.get_or_init(|| ids),
            None => ids,
        }
    }

    /// Ids of objects the C API can create directly.
    fn probe<'js>(ctx: &Ctx<'js>) -> Self {
        let id = |v: Option<Value<'js>>| v.as_ref().map_or(0, raw::class_id);
        let boxed = |v: Option<Value<'js>>| id(v.and_then(|v| raw::to_object(ctx, &v)));
        let string = rquickjs::String::from_str(ctx.clone(), "").ok();
        let big_int = rquickjs::BigInt::from_i64(ctx.clone(), 0).ok();
        Self {
            object: id(Object::new(ctx.clone()).ok().map(Object::into_value)),
            error: id(raw::new_error(ctx)),
            number: boxed(Some(Value::new_int(ctx.clone(), 0))),
            string: boxed(string.map(rquickjs::String::into_value)),
            boolean: boxed(Some(Value::new_bool(ctx.clone(), false))),
            symbol: boxed(Some(Symbol::iterator(ctx.clone()).into_value())),
            big_int: boxed(big_int.map(rquickjs::BigInt::into_value)),
            ..Self::default()
        }
    }

    /// Adds the ids of arguments objects and generator functions, compiled from [`SAMPLES`].
    fn compiled_samples(self, ctx: &Ctx<'_>) -> Option<Self> {
        let mut options = EvalOptions::default();
        options.strict = false;
        let samples: Option<Array> = ctx.eval_with_options(SAMPLES, options).ok();
        if samples.is_none() {
            let _ = ctx.catch();
        }
        let samples = samples?;
        let sample = |i: usize| samples.get::<Value>(i).ok().map(|v| raw::class_id(&v));
        let ids = Self {
            mapped_arguments: sample(0)?,
            arguments: sample(1)?,
            generator_function: sample(2)?,
            async_generator_function: sample(3)?,
            ..self
        };
        let complete = [ids.object, ids.error, ids.number, ids.string, ids.boolean];
        let complete = complete
            .into_iter()
            .chain([ids.symbol, ids.big_int])
            .all(|i| i != 0);
        complete.then_some(ids)
    }
}
