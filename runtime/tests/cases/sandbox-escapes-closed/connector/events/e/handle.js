// Every way out of the sandbox we could think of; each entry must report 'closed'.
const attempt = (f) => { try { const r = f(); return r === undefined ? 'closed' : 'open: ' + String(r) } catch (e) { return 'closed' } }
const absent = (name) => (typeof globalThis[name] === 'undefined' ? 'closed' : 'open')

export default async function handle() {
  const report = {
    eval: attempt(() => eval('1 + 1')),
    indirectEval: attempt(() => (0, globalThis.eval)('1 + 1')),
    newFunction: attempt(() => new Function('return 1')()),
    functionConstructorViaPrototype: attempt(() => (function () {}).constructor('return 1')()),
    asyncFunctionConstructor: attempt(() => (async function () {}).constructor('return 1')),
    generatorConstructor: attempt(() => (function* () {}).constructor('yield 1')),
    asyncGeneratorConstructor: attempt(() => (async function* () {}).constructor('yield 1')),
    atomicsWaitBlocksThread: attempt(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5000)),
  }
  for (const name of ['process', 'require', 'module', 'exports', '__filename', '__dirname', 'std', 'os', 'fs',
    'Deno', 'Bun', 'print', 'scriptArgs', 'WebAssembly', 'load', 'loadScript', 'importScripts', 'setenv', 'getenv',
    'Worker', 'XMLHttpRequest', 'WebSocket']) {
    report['global:' + name] = absent(name)
  }
  for (const specifier of ['std', 'os', 'qjs:std', 'qjs:os', 'fs', 'node:fs', 'child_process', 'node:child_process',
    'net', 'process', '/proc/self/environ', 'file:///etc/passwd', 'data:text/javascript,export default 1',
    'http://127.0.0.1/x.js', '../../../../etc/passwd', '..', '.', './', '../../']) {
    try { await import(specifier); report['import:' + specifier] = 'open' } catch (e) { report['import:' + specifier] = 'closed' }
  }
  // The network is reachable only as http(s) through the host, never as files or other schemes.
  for (const url of ['file:///etc/passwd', 'data:text/plain,hi', 'ftp://127.0.0.1/x', 'unix:///var/run/docker.sock']) {
    try { await fetch(url); report['fetch:' + url] = 'open' } catch (e) { report['fetch:' + url] = 'closed' }
    try { await __host.httpRequest({ url }); report['native:' + url] = 'open' } catch (e) { report['native:' + url] = 'closed' }
  }
  return report
}
