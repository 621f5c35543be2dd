// Cases for atob, btoa, TextEncoder and TextDecoder (WHATWG semantics as Node 20 implements them).
// Each `code` is the body of an async function; generate.mjs records what Node 20 returns.

const decodeBytes = (label, options, list) =>
  `return new TextDecoder(${JSON.stringify(label)}, ${JSON.stringify(options)}).decode(new Uint8Array(${JSON.stringify(list)}))`

export default [
  // btoa / atob.
  { name: 'btoa', code: `return [btoa(''), btoa('a'), btoa('ab'), btoa('abc'), btoa('\\u00ff\\u00fe\\u0000'), btoa(1), btoa(null), btoa(undefined)]` },
  { name: 'btoa above latin1', code: `return btoa('é€')` },
  { name: 'btoa lone surrogate', code: `return btoa('\\ud800')` },
  { name: 'btoa without argument', code: `return btoa()` },
  { name: 'atob', code: `return [atob(''), atob('YQ=='), atob('YQ'), atob('YWJj'), atob('/w=='), atob('YR=='), atob(null), atob('YWI=')]` },
  { name: 'atob ignores ascii whitespace', code: `return [atob(' Y Q = = '), atob('\\tY\\fQ\\r\\n==')]` },
  { name: 'atob incomplete padding', code: `return atob('YQ=')` },
  { name: 'atob one char too many', code: `return atob('YWJjZ')` },
  { name: 'atob invalid character', code: `return atob('Y!Q=')` },
  { name: 'atob url alphabet', code: `return atob('-_==')` },
  { name: 'atob non-breaking space', code: `return atob('YQ\\u00a0==')` },
  { name: 'atob padding in the middle', code: `return atob('YQ==YQ==')` },
  { name: 'atob without argument', code: `return atob()` },
  { name: 'atob error is a DOMException', code: `try { atob('!') } catch (e) { return [e instanceof DOMException, e instanceof Error, e.name, e.code] }` },
  { name: 'btoa atob round trip of all bytes', code: `let s = ''; for (let i = 0; i < 256; i++) s += String.fromCharCode(i); const b = btoa(s); return [b.length, atob(b) === s, b.slice(0, 20)]` },
  // TextEncoder.
  { name: 'TextEncoder encode', code: `const e = new TextEncoder(); return [e.encoding, [...e.encode('a€😀')], [...e.encode()], [...e.encode(1)], e.encode('x') instanceof Uint8Array]` },
  { name: 'TextEncoder lone surrogates', code: `return [...new TextEncoder().encode('\\ud800a\\udfff')]` },
  { name: 'TextEncoder symbol', code: `return new TextEncoder().encode(Symbol('s'))` },
  { name: 'TextEncoder encodeInto', code: `const e = new TextEncoder(); const u = new Uint8Array(5); return [e.encodeInto('a€😀', u), [...u]]` },
  { name: 'TextEncoder encodeInto exact and surrogates', code: `const e = new TextEncoder(); return [e.encodeInto('😀😀', new Uint8Array(8)), e.encodeInto('😀😀', new Uint8Array(7)), e.encodeInto('\\ud800x', new Uint8Array(4)), e.encodeInto('', new Uint8Array(2)), e.encodeInto('abc', new Uint8Array(0))]` },
  { name: 'TextEncoder encodeInto a subarray', code: `const big = new Uint8Array(6); new TextEncoder().encodeInto('hi', big.subarray(2)); return [...big]` },
  { name: 'TextEncoder encodeInto array', code: `return new TextEncoder().encodeInto('a', [])` },
  { name: 'TextEncoder encodeInto nothing', code: `return new TextEncoder().encodeInto('a')` },
  { name: 'TextEncoder tag', code: `return [String(new TextEncoder()), Object.prototype.toString.call(new TextDecoder())]` },
  // TextDecoder.
  { name: 'TextDecoder labels', code: `return ['utf8', 'UTF-8', ' utf-8 ', 'unicode-1-1-utf-8', 'utf-16le', 'utf-16', 'latin1', 'iso-8859-1', 'ascii', 'windows-1252', 'us-ascii'].map((l) => new TextDecoder(l).encoding)` },
  { name: 'TextDecoder default', code: `const d = new TextDecoder(); return [d.encoding, d.fatal, d.ignoreBOM, d.decode(new Uint8Array([104, 195, 169]))]` },
  { name: 'TextDecoder unknown label', code: `return new TextDecoder('bogus')` },
  { name: 'TextDecoder input kinds', code: `const d = new TextDecoder(); return [d.decode(new Uint8Array([97]).buffer), d.decode(new DataView(new Uint8Array([98, 99]).buffer, 1)), d.decode(new Uint16Array([0x6261])), d.decode(), d.decode(Buffer.from('€'))]` },
  { name: 'TextDecoder string input', code: `return new TextDecoder().decode('abc')` },
  { name: 'TextDecoder array input', code: `return new TextDecoder().decode([97])` },
  { name: 'TextDecoder replaces invalid utf8', code: decodeBytes('utf-8', {}, [0xed, 0xa0, 0x80, 0x61, 0xf0, 0x9f, 0x98, 0xc0, 0xff, 0xe2, 0x82]) },
  { name: 'TextDecoder strips the BOM', code: `return [${'new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]))'}, new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])).length, new TextDecoder().decode(new Uint8Array([0x61, 0xef, 0xbb, 0xbf])).length]` },
  { name: 'TextDecoder fatal', code: decodeBytes('utf-8', { fatal: true }, [0x61, 0xff]) },
  { name: 'TextDecoder fatal accepts valid input', code: decodeBytes('utf-8', { fatal: true }, [0x61, 0xe2, 0x82, 0xac]) },
  { name: 'TextDecoder fatal property', code: `return [new TextDecoder('utf-8', { fatal: true }).fatal, new TextDecoder('utf-8', { fatal: 0 }).fatal]` },
  { name: 'TextDecoder streaming a split character', code: `const d = new TextDecoder(); return [d.decode(new Uint8Array([0xe2, 0x82]), { stream: true }), d.decode(new Uint8Array([0xac]), { stream: true }), d.decode()]` },
  { name: 'TextDecoder streaming emoji byte by byte', code: `const d = new TextDecoder(); const out = [0xf0, 0x9f, 0x98, 0x80, 0x21].map((b) => d.decode(new Uint8Array([b]), { stream: true })); out.push(d.decode()); return out` },
  { name: 'TextDecoder stream ends incomplete', code: `const d = new TextDecoder(); return [d.decode(new Uint8Array([0xe2, 0x82]), { stream: true }), d.decode()]` },
  { name: 'TextDecoder stream fatal at end', code: `const d = new TextDecoder('utf-8', { fatal: true }); d.decode(new Uint8Array([0xe2, 0x82]), { stream: true }); return d.decode()` },
  { name: 'TextDecoder stream invalid prefix is not held', code: `const d = new TextDecoder(); return [d.decode(new Uint8Array([0x61, 0xed, 0xa0]), { stream: true }), d.decode(new Uint8Array([0x80]))]` },
  { name: 'TextDecoder BOM split across chunks', code: `const d = new TextDecoder(); return [d.decode(new Uint8Array([0xef, 0xbb]), { stream: true }), d.decode(new Uint8Array([0xbf, 0x61]))]` },
  { name: 'TextDecoder BOM once per stream', code: `const d = new TextDecoder(); return [d.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]), { stream: true }), d.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x62]), { stream: true }).length, d.decode(), d.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x63]))]` },
  { name: 'TextDecoder utf-16le', code: `return [${'new TextDecoder(\'utf-16le\').decode(new Uint8Array([0x61, 0, 0x3d, 0xd8, 0, 0xde, 0x62]))'}, new TextDecoder('utf-16le').decode(new Uint8Array([0x00, 0xd8, 0x61, 0])), new TextDecoder('utf-16').decode(new Uint8Array([0xff, 0xfe, 0x61, 0]))]` },
  { name: 'TextDecoder utf-16le streaming a surrogate pair', code: `const d = new TextDecoder('utf-16le'); return [d.decode(new Uint8Array([0x3d, 0xd8, 0x00]), { stream: true }), d.decode(new Uint8Array([0xde]), { stream: true }), d.decode()]` },
  { name: 'TextDecoder utf-16le fatal', code: decodeBytes('utf-16le', { fatal: true }, [0x00, 0xd8]) },
  { name: 'TextDecoder latin1 as Node decodes it', code: `const s = new TextDecoder('latin1').decode(new Uint8Array([0x61, 0x80, 0xe9, 0x9f, 0xff])); return Array.from(s, (c) => c.charCodeAt(0))` },
  { name: 'TextEncoder and TextDecoder round trip', code: `const s = 'ünïcødé ✓ 😀 \\u0000 end'; return new TextDecoder().decode(new TextEncoder().encode(s)) === s` },
]
