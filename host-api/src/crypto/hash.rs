//! `createHash` and `createHmac`, and the `Hash` and `Hmac` objects they return. Tricky: the digest
//! state sits in a `RefCell` borrowed only while bytes are fed, after the argument has been read
//! (reading it can run JS that re-enters the object); a finalised `Hash` throws on `digest` while a
//! finalised `Hmac` returns an empty result, both as Node does.

use std::cell::RefCell;

use hmac::KeyInit;
use md5::Md5;
use rquickjs::class::Trace;
use rquickjs::function::{Opt, This};
use rquickjs::{Class, Coerced, Ctx, JsLifetime, Value};
use sha1::Sha1;
use sha2::digest::{FixedOutput, Update};
use sha2::{Sha224, Sha256, Sha384, Sha512, Sha512_224, Sha512_256};

use super::or_undefined;
use crate::encoding::codec::{self, Encoding, Text};
use crate::encoding::{interop, string_arg};
use crate::throw::{self, bad_argument, type_name};

/// A running digest of any algorithm, keyed or not.
trait Hasher {
    fn feed(&mut self, data: &[u8]);
    fn finish(self: Box<Self>) -> Vec<u8>;
    fn boxed_clone(&self) -> Box<dyn Hasher>;
}

impl<T: Update + FixedOutput + Clone + 'static> Hasher for T {
    fn feed(&mut self, data: &[u8]) {
        Update::update(self, data);
    }
    fn finish(self: Box<Self>) -> Vec<u8> {
        self.finalize_fixed().to_vec()
    }
    fn boxed_clone(&self) -> Box<dyn Hasher> {
        Box::new(self.clone())
    }
}

#[derive(Clone, Copy)]
enum Algorithm {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Sha512_224,
    Sha512_256,
}

impl Algorithm {
    /// OpenSSL's names for the digests we have, in any case (`sha256`, `SHA-256`, `RSA-SHA256`, ...).
    fn from_name(name: &str) -> Option<Self> {
        let name = name.to_ascii_lowercase();
        let name = name
            .strip_prefix("rsa-")
            .or_else(|| name.strip_suffix("withrsaencryption"))
            .unwrap_or(&name);
        let algorithm = match name
            .strip_prefix("sha2-")
            .map_or(name.to_string(), |bits| format!("sha{bits}"))
            .as_str()
        {
            "md5" => Algorithm::Md5,
            "sha1" | "sha-1" => Algorithm::Sha1,
            "sha224" | "sha-224" => Algorithm::Sha224,
            "sha256" | "sha-256" => Algorithm::Sha256,
            "sha384" | "sha-384" => Algorithm::Sha384,
            "sha512" | "sha-512" => Algorithm::Sha512,
            "sha512-224" | "sha-512/224" | "sha512/224" => Algorithm::Sha512_224,
            "sha512-256" | "sha-512/256" | "sha512/256" => Algorithm::Sha512_256,
            _ => return None,
        };
        Some(algorithm)
    }

    fn hasher(self) -> Box<dyn Hasher> {
        match self {
            Algorithm::Md5 => Box::new(Md5::default()),
            Algorithm::Sha1 => Box::new(Sha1::default()),
            Algorithm::Sha224 => Box::new(Sha224::default()),
            Algorithm::Sha256 => Box::new(Sha256::default()),
            Algorithm::Sha384 => Box::new(Sha384::default()),
            Algorithm::Sha512 => Box::new(Sha512::default()),
            Algorithm::Sha512_224 => Box::new(Sha512_224::default()),
            Algorithm::Sha512_256 => Box::new(Sha512_256::default()),
        }
    }

    fn hmac(self, key: &[u8]) -> Option<Box<dyn Hasher>> {
        match self {
            Algorithm::Md5 => keyed::<hmac::Hmac<Md5>>(key),
            Algorithm::Sha1 => keyed::<hmac::Hmac<Sha1>>(key),
            Algorithm::Sha224 => keyed::<hmac::Hmac<Sha224>>(key),
            Algorithm::Sha256 => keyed::<hmac::Hmac<Sha256>>(key),
            Algorithm::Sha384 => keyed::<hmac::Hmac<Sha384>>(key),
            Algorithm::Sha512 => keyed::<hmac::Hmac<Sha512>>(key),
            Algorithm::Sha512_224 => keyed::<hmac::Hmac<Sha512_224>>(key),
            Algorithm::Sha512_256 => keyed::<hmac::Hmac<Sha512_256>>(key),
        }
    }
}

fn keyed<M: KeyInit + Hasher + 'static>(key: &[u8]) -> Option<Box<dyn Hasher>> {
    M::new_from_slice(key)
        .ok()
        .map(|mac| Box::new(mac) as Box<dyn Hasher>)
}

/// The state both classes share: `None` once digested.
struct State(RefCell<Option<Box<dyn Hasher>>>);

impl State {
    fn new(hasher: Box<dyn Hasher>) -> Self {
        State(RefCell::new(Some(hasher)))
    }

    fn is_finished(&self) -> bool {
        self.0.try_borrow().map_or(true, |state| state.is_none())
    }

    /// `update` as the classes receive it: `data` missing reads as `undefined`.
    fn update_with<'js>(
        &self,
        ctx: &Ctx<'js>,
        data: Opt<Value<'js>>,
        encoding: Opt<Value<'js>>,
    ) -> rquickjs::Result<()> {
        self.update(ctx, &or_undefined(ctx, data), encoding.0.as_ref())
    }

    /// `update(data, inputEncoding)`, Node's rules: strings in any encoding (unknown ones read as
    /// UTF-8, odd-length hex refused), bytes from any ArrayBuffer view but not an ArrayBuffer.
    fn update<'js>(
        &self,
        ctx: &Ctx<'js>,
        data: &Value<'js>,
        encoding: Option<&Value<'js>>,
    ) -> rquickjs::Result<()> {
        if self.is_finished() {
            return Err(throw::error(ctx, "update", "digest already called"));
        }
        if let Some(text) = interop::known_text(ctx, data) {
            let name = encoding_name(encoding)?;
            let utf8 = name.as_deref().and_then(Encoding::from_name);
            if matches!(utf8, None | Some(Encoding::Utf8)) {
                self.feed(text.as_bytes());
                return Ok(());
            }
        }
        if data.is_string() {
            return self.update_text(ctx, &string_arg(ctx, "update", "data", data)?, encoding);
        }
        let fed = (!interop::is_array_buffer(data))
            .then(|| interop::with_bytes(ctx, data, |bytes| self.feed(bytes)));
        fed.flatten().ok_or_else(|| {
            bad_argument(
                ctx,
                "update",
                "data",
                "a string, Buffer, TypedArray or DataView",
                type_name(data),
            )
        })
    }

    /// Text in its input encoding, UTF-8 when unknown; odd-length hex is refused.
    fn update_text(
        &self,
        ctx: &Ctx<'_>,
        text: &Text,
        encoding: Option<&Value<'_>>,
    ) -> rquickjs::Result<()> {
        let name = encoding_name(encoding)?;
        match name
            .as_deref()
            .and_then(Encoding::from_name)
            .unwrap_or(Encoding::Utf8)
        {
            Encoding::Hex if !text.code_units().count().is_multiple_of(2) => {
                let expected = "valid for data of odd length";
                return Err(bad_argument(ctx, "update", "encoding", expected, "'hex'"));
            }
            Encoding::Utf8 => self.feed(text.to_utf8().as_bytes()),
            encoding => self.feed(&codec::encode(text, encoding)),
        }
        Ok(())
    }

    fn feed(&self, data: &[u8]) {
        if let Ok(mut state) = self.0.try_borrow_mut()
            && let Some(hasher) = state.as_mut()
        {
            hasher.feed(data);
        }
    }

    fn finish(&self) -> Option<Vec<u8>> {
        let hasher = self.0.try_borrow_mut().ok()?.take()?;
        Some(hasher.finish())
    }
}

/// An encoding argument as Node reads it: absent or falsy means none, else `String(value)`.
fn encoding_name(value: Option<&Value<'_>>) -> rquickjs::Result<Option<String>> {
    match value {
        Some(value) if value.get::<Coerced<bool>>()?.0 => {
            Ok(Some(value.get::<Coerced<String>>()?.0))
        }
        _ => Ok(None),
    }
}

/// A digest in `encoding`: a string in a known encoding, else (`'buffer'` too) a `Buffer`.
fn output<'js>(
    ctx: &Ctx<'js>,
    digest: &[u8],
    encoding: Option<&Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    match encoding_name(encoding)?
        .as_deref()
        .and_then(Encoding::from_name)
    {
        None => interop::buffer(ctx, digest),
        Some(Encoding::Utf16Le) => interop::buffer_to_string(ctx, digest, "utf16le"),
        Some(encoding) => Ok(rquickjs::String::from_str(
            ctx.clone(),
            &codec::decode(digest, encoding),
        )?
        .into_value()),
    }
}

/// What `createHash` returns.
#[derive(Trace, JsLifetime)]
#[rquickjs::class]
pub struct Hash {
    #[qjs(skip_trace)]
    state: State,
}

#[rquickjs::methods]
impl Hash {
    pub fn update<'js>(
        this: This<Class<'js, Self>>,
        ctx: Ctx<'js>,
        data: Opt<Value<'js>>,
        encoding: Opt<Value<'js>>,
    ) -> rquickjs::Result<Class<'js, Self>> {
        this.0.borrow().state.update_with(&ctx, data, encoding)?;
        Ok(this.0)
    }

    pub fn digest<'js>(
        &self,
        ctx: Ctx<'js>,
        encoding: Opt<Value<'js>>,
    ) -> rquickjs::Result<Value<'js>> {
        let digest = self
            .state
            .finish()
            .ok_or_else(|| throw::error(&ctx, "digest", "digest already called"))?;
        output(&ctx, &digest, encoding.0.as_ref())
    }

    /// `hash.copy()`: an independent `Hash` with the data fed so far.
    pub fn copy(&self, ctx: Ctx<'_>) -> rquickjs::Result<Hash> {
        let state = self.state.0.try_borrow().ok();
        let hasher = state
            .as_ref()
            .and_then(|state| state.as_ref().map(|h| h.boxed_clone()));
        let hasher = hasher.ok_or_else(|| throw::error(&ctx, "copy", "digest already called"))?;
        Ok(Hash {
            state: State::new(hasher),
        })
    }
}

/// What `createHmac` returns.
#[derive(Trace, JsLifetime)]
#[rquickjs::class]
pub struct Hmac {
    #[qjs(skip_trace)]
    state: State,
}

#[rquickjs::methods]
impl Hmac {
    pub fn update<'js>(
        this: This<Class<'js, Self>>,
        ctx: Ctx<'js>,
        data: Opt<Value<'js>>,
        encoding: Opt<Value<'js>>,
    ) -> rquickjs::Result<Class<'js, Self>> {
        this.0.borrow().state.update_with(&ctx, data, encoding)?;
        Ok(this.0)
    }

    /// Node gives an empty result, not an error, when an `Hmac` is digested twice.
    pub fn digest<'js>(
        &self,
        ctx: Ctx<'js>,
        encoding: Opt<Value<'js>>,
    ) -> rquickjs::Result<Value<'js>> {
        match self.state.finish() {
            Some(digest) => output(&ctx, &digest, encoding.0.as_ref()),
            None => match encoding_name(encoding.0.as_ref())? {
                Some(name) if name != "buffer" => interop::buffer_to_string(&ctx, &[], &name),
                _ => interop::buffer(&ctx, &[]),
            },
        }
    }
}

/// `createHash(algorithm)`.
pub fn create_hash<'js>(
    ctx: Ctx<'js>,
    algorithm: Opt<Value<'js>>,
) -> rquickjs::Result<Class<'js, Hash>> {
    let algorithm = or_undefined(&ctx, algorithm);
    let name = string_arg(&ctx, "createHash", "algorithm", &algorithm)?
        .to_utf8()
        .into_owned();
    let algorithm = Algorithm::from_name(&name).ok_or_else(|| {
        throw::error(
            &ctx,
            "createHash",
            &format!("digest method not supported: {name}"),
        )
    })?;
    Class::instance(
        ctx,
        Hash {
            state: State::new(algorithm.hasher()),
        },
    )
}

/// `createHmac(algorithm, key[, { encoding }])`: the key bytes of any kind, or a string in
/// `encoding` (UTF-8 by default).
pub fn create_hmac<'js>(
    ctx: Ctx<'js>,
    algorithm: Opt<Value<'js>>,
    key: Opt<Value<'js>>,
    options: Opt<Value<'js>>,
) -> rquickjs::Result<Class<'js, Hmac>> {
    let (algorithm, key) = (or_undefined(&ctx, algorithm), or_undefined(&ctx, key));
    let name = string_arg(&ctx, "createHmac", "algorithm", &algorithm)?
        .to_utf8()
        .into_owned();
    let key = match key.as_string() {
        Some(string) => codec::encode(&interop::text(string)?, key_encoding(options.0.as_ref())?),
        None => interop::bytes(&ctx, &key).ok_or_else(|| {
            let expected = "a string, Buffer, TypedArray, DataView or ArrayBuffer";
            bad_argument(&ctx, "createHmac", "key", expected, type_name(&key))
        })?,
    };
    let hasher = Algorithm::from_name(&name).and_then(|algorithm| algorithm.hmac(&key));
    let hasher = hasher.ok_or_else(|| {
        bad_argument(
            &ctx,
            "createHmac",
            "algorithm",
            "a supported digest",
            &format!("'{name}'"),
        )
    })?;
    Class::instance(
        ctx,
        Hmac {
            state: State::new(hasher),
        },
    )
}

/// The `encoding` option of `createHmac`, for a string key: UTF-8 unless it names another.
fn key_encoding(options: Option<&Value<'_>>) -> rquickjs::Result<Encoding> {
    let name = match options.and_then(Value::as_object) {
        Some(options) => options.get::<_, Option<Coerced<String>>>("encoding")?,
        None => None,
    };
    let encoding = name.and_then(|name| Encoding::from_name(&name.0));
    Ok(encoding.unwrap_or(Encoding::Utf8))
}
