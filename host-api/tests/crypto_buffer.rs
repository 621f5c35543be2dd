//! `crypto`, `Buffer`, `TextEncoder`/`TextDecoder`, `atob`/`btoa` against Node 20: every case in
//! `tests/node/<area>.cases.mjs` must give what Node gave (`tests/node/<area>.expected.json`,
//! regenerated with `node host-api/tests/node/generate.mjs crypto buffer encoding`).

mod common;

#[tokio::test]
async fn crypto_matches_node() {
    common::check_node_cases("crypto").await;
}

#[tokio::test]
async fn buffer_matches_node() {
    common::check_node_cases("buffer").await;
}

#[tokio::test]
async fn encoding_matches_node() {
    common::check_node_cases("encoding").await;
}

/// What Node cannot produce: buffers made immutable or detached, getters that detach a buffer in
/// the middle of a call, DataViews that lie about their window, and junk handed straight to the
/// natives under `__host`. Each must throw or answer, never panic or leave an exception pending.
#[tokio::test]
async fn hostile_inputs_are_refused_cleanly() {
    let sandbox = common::TestSandbox::new().await;
    let cases = [
        (
            "const b = new ArrayBuffer(4).transferToImmutable()
             try { crypto.getRandomValues(new Uint8Array(b)); return 'filled' } catch (e) { return e.name }",
            "TypeMismatchError",
        ),
        (
            "const ab = new ArrayBuffer(4), u = new Uint8Array(ab); ab.transfer()
             try { createHash('md5').update(u); return 'hashed' } catch (e) { return e.name }",
            "TypeError",
        ),
        (
            "const ab = new ArrayBuffer(8), a = new Uint8Array(ab), dv = new DataView(new ArrayBuffer(8))
             Object.defineProperty(dv, 'byteLength', { get() { ab.transfer(); return 8 } })
             return String((await import('crypto')).timingSafeEqual(a, dv))",
            "true",
        ),
        (
            "const dv = new DataView(new ArrayBuffer(4))
             Object.defineProperty(dv, 'byteLength', { get: () => 1e9 })
             try { createHash('md5').update(dv); return 'hashed' } catch (e) { return e.name }",
            "TypeError",
        ),
        (
            "const dv = new DataView(new ArrayBuffer(4))
             Object.defineProperty(dv, 'byteOffset', { get() { throw new Error('boom') } })
             try { createHmac('sha1', dv); return 'keyed' } catch (e) { return e.name }",
            "TypeError",
        ),
        (
            "const h = globalThis.__host, names = ['encode', 'decode', 'isUtf8', 'utf8Tail', 'compare', 'indexOf']
             const junk = [[], [1, 2, 3, 4], [{}, 'utf8'], [new Uint8Array(2), 'nope'], ['\\ud800', 'latin1'],
               [new Uint8Array(2), 'hex', -5, 1e300], [new Uint8Array(2), new Uint8Array(0), 1e300, false],
               [new Uint8Array(2), new Uint8Array(3), -1e300, true], [new DataView(new ArrayBuffer(1)), 'utf8']]
             for (const name of names) for (const args of junk) { try { h[name](...args) } catch {} }
             return 'survived'",
            "survived",
        ),
    ];
    for (code, expected) in cases {
        let got = sandbox.eval(code).await;
        assert_eq!(got, Ok(serde_json::json!(expected)), "{code}");
        assert_eq!(
            sandbox.eval("return 1 + 1").await,
            Ok(serde_json::json!(2)),
            "after {code}"
        );
    }
}
