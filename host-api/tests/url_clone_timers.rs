//! URL, URLSearchParams and structuredClone against Node's answers (`tests/node/*.cases.mjs`), and
//! timers. The timer tests sleep for real, at most tens of milliseconds: they pass on tokio's
//! paused clock too (`start_paused = true`, once host-api's dev tokio has `test-util`), and
//! nothing in them depends on how late a timer fires, only on deadlines' order.

mod common;

use common::TestSandbox;
use host_api::Level;
use serde_json::json;

#[tokio::test(start_paused = true)]
async fn url_matches_node() {
    common::check_node_cases("url").await;
}

#[tokio::test(start_paused = true)]
async fn clone_matches_node() {
    common::check_node_cases("clone").await;
}

#[tokio::test(start_paused = true)]
async fn set_timeout_resolves_after_its_delay() {
    let sandbox = TestSandbox::new().await;
    let started = tokio::time::Instant::now();
    let got = sandbox
        .eval("return await new Promise(r => setTimeout(() => r(1), 20))")
        .await;
    assert_eq!(got, Ok(json!(1)));
    assert!(started.elapsed() >= std::time::Duration::from_millis(20));
}

#[tokio::test(start_paused = true)]
async fn timers_fire_by_deadline_then_creation_order_with_microtasks_between() {
    let sandbox = TestSandbox::new().await;
    let code = "const out = [];
        await new Promise(done => {
            setTimeout(() => out.push('c'), 30);
            setTimeout(() => out.push('a'), 10);
            setTimeout(() => { out.push('b1'); Promise.resolve().then(() => out.push('micro')) }, 20);
            setTimeout(() => out.push('b2'), 20);
            setImmediate(() => out.push('immediate'));
            setTimeout(() => { out.push('end'); done() }, 40);
        });
        return out";
    let expected = json!(["immediate", "a", "b1", "micro", "b2", "c", "end"]);
    assert_eq!(sandbox.eval(code).await, Ok(expected));
}

#[tokio::test(start_paused = true)]
async fn clear_timeout_prevents_the_call() {
    let sandbox = TestSandbox::new().await;
    let code = "let called = [];
        const a = setTimeout(() => called.push('a'), 5);
        const b = setTimeout(() => called.push('b'), 5);
        const c = setTimeout(() => called.push('c'), 5);
        clearTimeout(a);
        clearTimeout(+b);
        c.close();
        clearTimeout(undefined); clearTimeout({}); clearTimeout('nope'); clearTimeout(null);
        await new Promise(r => setTimeout(r, 20));
        return called";
    assert_eq!(sandbox.eval(code).await, Ok(json!([])));
}

#[tokio::test(start_paused = true)]
async fn set_interval_runs_until_cleared() {
    let sandbox = TestSandbox::new().await;
    let code = "let count = 0;
        await new Promise(done => {
            const id = setInterval((step) => {
                count += step;
                if (count === 3) { clearInterval(id); done() }
            }, 5, 1);
        });
        await new Promise(r => setTimeout(r, 20));
        return count";
    assert_eq!(sandbox.eval(code).await, Ok(json!(3)));
}

#[tokio::test(start_paused = true)]
async fn arguments_and_this_are_passed_through() {
    let sandbox = TestSandbox::new().await;
    let code = "return await new Promise(r => {
            const t = setTimeout(function (a, b) { r([a, b, this === t, typeof this.unref]) }, 1, 'x', 2);
        })";
    assert_eq!(
        sandbox.eval(code).await,
        Ok(json!(["x", 2, true, "function"]))
    );
}

#[tokio::test(start_paused = true)]
async fn timeout_object_is_node_like() {
    let sandbox = TestSandbox::new().await;
    let code = "const t = setTimeout(() => {}, 1000);
        const shape = [t.unref() === t, t.hasRef(), t.ref().hasRef(), typeof +t, `${t}` === String(+t),
            Object.prototype.toString.call(t)];
        clearTimeout(t);
        return shape";
    let expected = json!([true, false, true, "number", true, "[object Timeout]"]);
    assert_eq!(sandbox.eval(code).await, Ok(expected));
}

#[tokio::test(start_paused = true)]
async fn refresh_restarts_the_delay_and_revives_a_fired_timer() {
    let sandbox = TestSandbox::new().await;
    let code = "const start = Date.now(); const times = [];
        await new Promise(done => {
            const t = setTimeout(() => { times.push('fired'); if (times.length === 2) done(); else t.refresh() }, 10);
            setTimeout(() => t.refresh(), 5);
        });
        return times";
    assert_eq!(sandbox.eval(code).await, Ok(json!(["fired", "fired"])));
}

#[tokio::test(start_paused = true)]
async fn delays_are_coerced_like_node() {
    let sandbox = TestSandbox::new().await;
    let code = "const out = [];
        await new Promise(done => {
            setTimeout(() => out.push('string 30'), '30');
            setTimeout(() => out.push('abc'), 'abc');
            setTimeout(() => out.push('negative'), -5);
            setTimeout(() => out.push('huge'), 2 ** 32);
            setTimeout(() => out.push('object 15'), { valueOf: () => 15 });
            setTimeout(() => { out.push('end'); done() }, 45);
        });
        return out";
    let expected = json!(["abc", "negative", "huge", "object 15", "string 30", "end"]);
    assert_eq!(sandbox.eval(code).await, Ok(expected));
    let console = sandbox.host.console.take();
    assert!(
        console
            .iter()
            .any(|e| e.level == Level::Warn && e.message.contains("TimeoutOverflowWarning")),
        "{console:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn bad_callback_is_a_type_error_naming_the_function() {
    let sandbox = TestSandbox::new().await;
    let got = sandbox.eval("setTimeout('code', 1)").await;
    assert_eq!(
        got,
        Err("TypeError: setTimeout: argument 'callback' must be a function (got string)".into())
    );
    let got = sandbox.eval("setInterval()").await;
    assert!(got.is_err_and(|e| e.starts_with("TypeError: setInterval: argument 'callback'")));
    let got = sandbox.eval("setTimeout(() => {}, Symbol())").await;
    assert!(got.is_err_and(|e| e.starts_with("TypeError")));
}

#[tokio::test(start_paused = true)]
async fn throwing_callback_is_reported_and_the_next_eval_works() {
    let sandbox = TestSandbox::new().await;
    let code = "setTimeout(() => { throw new Error('boom') }, 1);
        setTimeout(() => { throw 'plain' }, 1);
        return await new Promise(r => setTimeout(() => r('after'), 5))";
    assert_eq!(sandbox.eval(code).await, Ok(json!("after")));
    let errors: Vec<String> = sandbox
        .host
        .console
        .take()
        .into_iter()
        .filter(|e| e.level == Level::Error)
        .map(|e| e.message)
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with("Uncaught exception in timer: Error: boom"),
        "{errors:?}"
    );
    assert!(
        errors[1].starts_with("Uncaught exception in timer: plain"),
        "{errors:?}"
    );
    let got = sandbox
        .eval("return await new Promise(r => setTimeout(() => r(2), 1))")
        .await;
    assert_eq!(got, Ok(json!(2)));
}

#[tokio::test(start_paused = true)]
async fn nothing_is_pending_once_every_timer_is_cleared() {
    let sandbox = TestSandbox::new().await;
    let code = "const t = setTimeout(() => {}, 60000);
        const i = setInterval(() => {}, 1000);
        const m = setImmediate(() => {});
        clearTimeout(t); clearInterval(i); clearImmediate(m);
        await new Promise(r => setTimeout(r, 5));
        return 1";
    assert_eq!(sandbox.eval(code).await, Ok(json!(1)));
    assert!(!sandbox.runtime.is_job_pending().await);
    let got = sandbox.eval("setTimeout(() => {}, 60000); return 1").await;
    assert_eq!(got, Ok(json!(1)));
    assert!(
        sandbox.runtime.is_job_pending().await,
        "a live timer is pending work"
    );
}

#[tokio::test(start_paused = true)]
async fn settle_ends_the_driver_of_timers_cleared_before_returning() {
    let sandbox = TestSandbox::new().await;
    let code = "const t = setTimeout(() => {}, 60000); clearTimeout(t);";
    sandbox
        .context
        .async_with(async |ctx| {
            ctx.eval::<(), _>(code).unwrap();
            host_api::timers::settle().await;
        })
        .await;
    assert!(!sandbox.runtime.is_job_pending().await);
}

#[tokio::test(start_paused = true)]
async fn a_cleared_timer_waiting_on_a_long_delay_ends_with_the_call() {
    let sandbox = TestSandbox::new().await;
    let code = "const guard = setTimeout(() => {}, 30000);
        await new Promise(r => setTimeout(r, 10));
        clearTimeout(guard);
        return 'done'";
    sandbox
        .context
        .async_with(async |ctx| {
            let promise: rquickjs::Promise =
                ctx.eval(format!("(async () => {{ {code} }})()")).unwrap();
            let done: String = promise.into_future().await.unwrap();
            assert_eq!(done, "done");
            host_api::timers::settle().await;
        })
        .await;
    assert!(!sandbox.runtime.is_job_pending().await);
}

#[tokio::test(start_paused = true)]
async fn dropping_a_sandbox_with_live_timers_is_clean() {
    let sandbox = TestSandbox::new().await;
    let code = "const keep = {};
        keep.t = setTimeout(() => keep, 60000);
        keep.i = setInterval(function () { return [this, keep] }, 1000, keep);
        keep.set = setTimeout;
        await new Promise(r => setTimeout(r, 1));
        return 1";
    assert_eq!(sandbox.eval(code).await, Ok(json!(1)));
    assert!(sandbox.runtime.is_job_pending().await);
    // Dropping runs the engine's leak check (`JS_FreeRuntime` asserts every object is freed): a
    // callback referencing its own `Timeout` or a timer global must not keep anything alive.
    drop(sandbox);
}

#[tokio::test(start_paused = true)]
async fn url_natives_reject_bad_arguments_with_type_errors() {
    let sandbox = TestSandbox::new().await;
    let cases = [
        (
            "__host.parseUrl(1)",
            "TypeError: parseUrl: argument 'input' must be a string (got number)",
        ),
        (
            "__host.canParseUrl('x', {})",
            "TypeError: canParseUrl: argument 'base' must be a string (got object)",
        ),
        (
            "__host.setUrlComponent('http://h/', 'nope', 'x')",
            "TypeError: setUrlComponent: argument 'name' must be a URL component (got nope)",
        ),
        (
            "__host.parseQuery('\\uD800')",
            "TypeError: parseQuery: argument 'query' must be a well-formed string (got string)",
        ),
    ];
    for (code, error) in cases {
        assert_eq!(sandbox.eval(code).await, Err(error.to_string()), "{code}");
    }
}
