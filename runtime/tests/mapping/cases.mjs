// The cases runtime::mapping must evaluate as the vendor's engine does: [{name, template, variables}].
// generate.mjs runs them through the SDK's buildValue and writes expected.json.
// Behaviours the Rust engine does not replicate are listed in runtime/src/mapping/mod.rs and kept
// out of this table.

const V = {
  str: 'Hello World',
  empty: '',
  zero: 0,
  one: 1,
  num: 42,
  neg: -3.5,
  t: true,
  f: false,
  nul: null,
  numStr: '42',
  arr: [1, 2, 3],
  strs: ['a', 'b'],
  emptyArr: [],
  obj: { a: 1 },
  emptyObj: {},
  nested: { a: { b: [{ c: 'deep' }, 0, null, false, '', 'x'] } },
  'dash-key': 'dash',
  'dot.key': 'dot',
  'sp ace': 'space',
  'br[0]': 'bracket',
  '': 'empty key',
  'ünï': 'unicode',
  items: [
    { id: 1, name: 'A', tags: ['x'], price: 10 },
    { id: 2, name: 'B', tags: [], price: '20' },
    { id: 0, name: '', price: null },
  ],
  parameters: { projectId: 'p1', limit: 50 },
  cursor: 'c1',
  credentials: { access_token: 'tok', isSandbox: true, accountId: 'acc' },
  nums: { 0: 'zero', 1: 'one' },
  floats: { sum: 0.30000000000000004, big: 1e21, small: 1.5e-7, int: 5 },
};

const cases = [];
const add = (name, template, variables = V) => cases.push({ name, template, variables });

// ── the walk: literals, dropping undefined, empty containers ─────────────────────────────────
add('literal number', 5);
add('literal string', 'text');
add('literal null', null);
add('literal boolean', false);
add('literal object walked', { a: 1, b: 'x', c: null });
add('missing key dropped', { a: { $var: 'missing' }, b: 1 });
add('object with every key dropped yields nothing', { a: { $var: 'missing' } });
add('array entry dropped', [{ $var: 'missing' }, 1, { $var: 'str' }]);
add('array with every entry dropped yields nothing', [{ $var: 'missing' }]);
add('empty array literal stays', []);
add('empty object literal stays', {});
add('empty containers nested stay', { a: [], b: {}, c: [[], {}] });
add('nested drop bubbles up', { a: { b: { c: { $var: 'missing' } } }, d: 1 });
add('null from variables kept', { a: { $var: 'nul' } });
add('null items kept', [null, { $var: 'nul' }]);
add('array index keys come first', { b: 1, 10: 'ten', 2: 'two', a: 3 });
add('index key first makes it data', { 1: { $var: 'str' }, $var: 'str' });
add('formula key not first is data', { a: 1, $var: 'str' });
add('unknown formula is data', { $unknown: { $var: 'str' } });
add('dollar key not first kept', { x: { $var: 'num' }, $y: 2 });
add('formula extra keys ignored', { $var: 'str', extra: 1 });
add('deep mix', { q: { limit: 100, offset: { $var: '$.cursor' }, projectId: { $var: '$.parameters.projectId' }, no: { $var: 'nope' } } });

// ── $var ─────────────────────────────────────────────────────────────────────────────────────
const vars = {
  'plain': 'str',
  'dollar dot': '$.str',
  'nested path': 'nested.a.b[0].c',
  'zero item reads missing': 'nested.a.b[1]',
  'null item reads missing': 'nested.a.b[2]',
  'false item reads missing': 'nested.a.b[3]',
  'empty string item reads missing': 'nested.a.b[4]',
  'truthy item': 'nested.a.b[5]',
  'zero item through dot': 'nested.a.b.1',
  'null item through dot': 'nested.a.b.2',
  'array length': 'nested.a.b.length',
  'index past end': 'arr[10]',
  'negative index': 'arr[-1]',
  'word index': 'arr[x]',
  'spaced index': 'arr[ 1 ]',
  'index 1.0': 'arr[1.0]',
  'index 1.5': 'arr[1.5]',
  'hex index': 'arr[0x1]',
  'empty index': 'arr[]',
  'unclosed bracket': 'arr[1',
  'dash key': 'dash-key',
  'escaped dot key': 'dot\\.key',
  'unescaped dot key': 'dot.key',
  'space key': 'sp ace',
  'escaped brackets key': 'br\\[0\\]',
  'empty key': '$.',
  'empty locator': '',
  'dollar word': '$abc',
  'string has no properties': 'str.length',
  'past a scalar': 'obj.a.b',
  'past null': 'nul.x',
  'item then key': 'items[1].name',
  'index as key': 'items.1.name',
  'numeric object key': 'nums.0',
  'empty array item': 'emptyArr[0]',
  'double dot': 'a..b',
  'junk after bracket': 'items[0]tags',
  'quoted bracket': '$["str"]',
  'unicode key': 'ünï',
  'dollar dollar': '$$.str',
  'bracket then bracket': 'nested.a.b[0]',
  'trailing dot': 'str.',
  'boolean': 't',
  'number': 'neg',
  'object': 'obj',
  'empty object': 'emptyObj',
  'empty array': 'emptyArr',
  'string array': 'strs',
};
for (const [name, locator] of Object.entries(vars)) add(`$var ${name}`, { $var: locator });
const small = { a: 1, b: [1, 2] };
add('$var $ is the variables', { $var: '$' }, small);
add('$var number locator is null', { $var: 5 }, small);
add('$var null locator is null', { $var: null }, small);
add('$var object locator is null', { $var: { a: 1 } }, small);
add('$var empty list locator is the variables', { $var: [] }, small);
add('$var list locator', { $var: [{ type: 'object_property', propertyName: 'b' }, { type: 'array_item', index: 1 }] }, small);
add('$var list locator falsy item', { $var: [{ type: 'object_property', propertyName: 'b' }, { type: 'array_item', index: 5 }] }, small);
add('$var list locator bad step throws', { $var: ['a'] }, small);
add('$var list locator stops before bad step', { $var: [{ type: 'object_property', propertyName: 'zz' }, 'bad'] }, small);
add('$var over array variables', { $var: '0' }, [7, 8]);
add('$var over array variables length', { $var: 'length' }, [7, 8]);
add('$var over array variables bracket', { $var: '[0]' }, [7, 8]);
add('$var over string variables', { $var: '$' }, 'abc');
add('$var over string variables key', { $var: 'length' }, 'abc');

// ── $concat ──────────────────────────────────────────────────────────────────────────────────
add('$concat list', { $concat: ['a', { $var: 'cursor' }, 'b'] });
add('$concat drops null undefined empty', { $concat: ['a', null, { $var: 'missing' }, '', { $var: 'empty' }, 'b'] });
add('$concat keeps zero and false', { $concat: [0, false, { $var: 'zero' }] });
add('$concat drops empty arrays', { $concat: ['a', [], { $var: 'emptyArr' }, [null], 'b'] });
add('$concat arrays and objects', { $concat: [[1, [2, 3]], { $var: 'obj' }, { $var: 'strs' }] });
add('$concat numbers as JS prints them', { $concat: { values: [{ $var: 'floats.sum' }, { $var: 'floats.big' }, { $var: 'floats.small' }, { $var: 'neg' }], delimiter: ' ' } });
add('$concat delimiter', { $concat: { values: ['https://api', 'v1', { $var: 'credentials.accountId' }], delimiter: '/' } });
add('$concat delimiter formula', { $concat: { values: ['a', 'b'], delimiter: { $var: 'cursor' } } });
add('$concat delimiter undefined prints undefined', { $concat: { values: ['a', 'b'], delimiter: { $var: 'missing' } } });
add('$concat delimiter null is empty', { $concat: { values: ['a', 'b'], delimiter: null } });
add('$concat delimiter zero', { $concat: { values: ['a', 'b'], delimiter: 0 } });
add('$concat delimiter formula null', { $concat: { values: ['a', 'b'], delimiter: { $var: 'nul' } } });
add('$concat empty list', { $concat: [] });
add('$concat all missing', { $concat: [{ $var: 'missing' }] });
add('$concat only null', { $concat: [{ $var: 'nul' }] });
add('$concat string argument', { $concat: 'abc' });
add('$concat null argument', { $concat: null });
add('$concat object without values', { $concat: { delimiter: '-' } });
add('$concat values formula', { $concat: { values: { $var: 'strs' }, delimiter: '+' } });
add('$concat formula argument', { $concat: { $var: 'strs' } });
add('$concat values not a list', { $concat: { values: 'abc' } });
add('$concat booleans', { $concat: { values: [true, { $var: 'f' }], delimiter: ',' } });
add('$concat bearer', { Authorization: { $concat: { values: ['Bearer ', { $var: 'credentials.access_token' }] } } });

// ── $tpl ─────────────────────────────────────────────────────────────────────────────────────
add('$tpl basic', { $tpl: { template: 'id={id}&p={p}', values: { id: { $var: 'num' }, p: { $var: 'parameters.projectId' } } } });
add('$tpl missing value is empty', { $tpl: { template: '[{a}]', values: { a: { $var: 'missing' } } } });
add('$tpl null value is empty', { $tpl: { template: '[{a}]', values: { a: null } } });
add('$tpl object and array values', { $tpl: { template: '{o}|{a}', values: { o: { $var: 'obj' }, a: { $var: 'arr' } } } });
add('$tpl repeated placeholder', { $tpl: { template: '{x}-{x}-{x}', values: { x: 'y' } } });
add('$tpl unknown placeholder kept', { $tpl: { template: '{x}{y}', values: { x: 1 } } });
add('$tpl key is a regex: dot', { $tpl: { template: '{a.b} {aXb}', values: { 'a.b': 'v' } } });
add('$tpl key is a regex: dollar', { $tpl: { template: '{$x}', values: { $x: 'v' } } });
add('$tpl key is a regex: group', { $tpl: { template: '{ab}', values: { '(a)(b)': 'v' } } });
add('$tpl key is a regex: invalid throws', { $tpl: { template: '{a(}', values: { 'a(': 'v' } } });
add('$tpl replacement patterns', { $tpl: { template: '<{x}>', values: { x: "[$&|$`|$'|$$|$1]" } } });
add('$tpl replacement group reference', { $tpl: { template: '{ab}', values: { '(a)(b)': '$2$1' } } });
add('$tpl value fills later placeholder', { $tpl: { template: '{a}', values: { a: '{b}', b: 'B' } } });
add('$tpl number template returned', { $tpl: { template: 5, values: { a: 1 } } });
add('$tpl object template returned unbuilt', { $tpl: { template: { $var: 'str' } } });
add('$tpl missing template', { $tpl: { values: { a: 1 } } });
add('$tpl no values', { $tpl: { template: 'x{a}' } });
add('$tpl values list', { $tpl: { template: '{0}{1}', values: ['a', { $var: 'num' }] } });
add('$tpl values string', { $tpl: { template: '{0}{1}{2}', values: 'ab' } });
add('$tpl values number', { $tpl: { template: '{0}', values: 5 } });
add('$tpl integer keys first', { $tpl: { template: '{b}{1}', values: { b: '{1}', 1: 'one' } } });
add('$tpl boolean and zero values', { $tpl: { template: '{a}{b}', values: { a: false, b: 0 } } });
add('$tpl non-object argument', { $tpl: 'x' });

// ── $case ────────────────────────────────────────────────────────────────────────────────────
const sandbox = (isSandbox) => ({ credentials: { isSandbox, accountId: 'acc' } });
const baseUri = {
  $case: {
    cases: [{ filter: { $eval: { $var: '$.credentials.isSandbox' }, is: true }, value: { $concat: { values: ['https://sandbox.example.com', { $var: 'credentials.accountId' }], delimiter: '/' } } }],
    default: { $concat: { values: ['https://api.example.com', { $var: 'credentials.accountId' }], delimiter: '/' } },
  },
};
add('$case base uri sandbox', baseUri, sandbox(true));
add('$case base uri production', baseUri, sandbox(false));
add('$case base uri sandbox string', baseUri, sandbox('true'));
add('$case base uri missing flag', baseUri, {});
add('$case first match wins', { $case: { cases: [{ filter: true, value: 1 }, { filter: true, value: 2 }] } });
add('$case default', { $case: { cases: [{ filter: { $eval: 1, is: 2 }, value: 1 }], default: 'd' } });
add('$case no match no default', { $case: { cases: [{ filter: { $eval: 1, is: 2 }, value: 1 }] } });
add('$case default null yields nothing', { $case: { cases: [], default: null } });
add('$case value null kept', { $case: { cases: [{ filter: true, value: null }], default: 1 } });
add('$case matched value missing yields nothing', { $case: { cases: [{ filter: true, value: { $var: 'missing' } }], default: 1 } });
add('$case list form', { $case: [{ filter: { $eval: 1, is: 2 }, value: 'a' }, { value: 'b' }] });
add('$case falsy filters are skipped so match', { x: { $case: { cases: [{ filter: false, value: 'f' }] } }, y: { $case: { cases: [{ filter: 0, value: 'z' }] } }, z: { $case: { cases: [{ filter: '', value: 'e' }] } }, n: { $case: { cases: [{ filter: null, value: 'n' }] } } });
add('$case filter formula false', { $case: { cases: [{ filter: { $var: 'f' }, value: 1 }], default: 2 } });
add('$case filter formula zero', { $case: { cases: [{ filter: { $var: 'zero' }, value: 1 }], default: 2 } });
add('$case filter formula empty string', { $case: { cases: [{ filter: { $var: 'empty' }, value: 1 }], default: 2 } });
add('$case filter formula null matches', { $case: { cases: [{ filter: { $var: 'nul' }, value: 1 }], default: 2 } });
add('$case filter formula missing matches', { $case: { cases: [{ filter: { $var: 'missing' }, value: 1 }], default: 2 } });
add('$case filter formula string matches', { $case: { cases: [{ filter: { $var: 'str' }, value: 1 }], default: 2 } });
add('$case filter object literal matches', { $case: { cases: [{ filter: { a: { $var: 'f' } }, value: 1 }], default: 2 } });
add('$case filter $and', { $case: { cases: [{ filter: { $and: [{ $var: 't' }, { $eval: { $var: 'num' }, gt: 40 }] }, value: 'yes' }], default: 'no' } });
add('$case legacy filter is', { $case: { cases: [{ filter: [{ field: 'cursor', operator: 'is', value: 'c1' }], value: 'yes' }], default: 'no' } });
add('$case legacy filter fans out over arrays', { $case: { cases: [{ filter: [{ field: 'items.name', operator: 'is', value: 'B' }], value: 'yes' }], default: 'no' } });
add('$case legacy filter all conditions', { $case: { cases: [{ filter: [{ field: 'num', operator: 'more_than', value: 40 }, { field: 'str', operator: 'contains', value: 'World' }], value: 'yes' }], default: 'no' } });
add('$case legacy filter one condition fails', { $case: { cases: [{ filter: [{ field: 'num', operator: 'more_than', value: 40 }, { field: 'str', operator: 'contains', value: 'world' }], value: 'yes' }], default: 'no' } });
add('$case legacy filter missing field', { $case: { cases: [{ filter: [{ field: 'nope', operator: 'is_empty' }], value: 'yes' }], default: 'no' } });
add('$case legacy filter is_true is_false', { $case: { cases: [{ filter: [{ field: 't', operator: 'is_true' }, { field: 'f', operator: 'is_false' }], value: 'yes' }], default: 'no' } });
add('$case legacy filter array_includes', { $case: { cases: [{ filter: [{ field: 'strs', operator: 'array_includes', value: 'b' }], value: 'yes' }], default: 'no' } });
add('$case legacy filter array_does_not_include', { $case: { cases: [{ filter: [{ field: 'strs', operator: 'array_does_not_include', value: 'b' }], value: 'yes' }], default: 'no' } });
add('$case legacy filter is_one_of', { $case: { cases: [{ filter: [{ field: 'num', operator: 'is_one_of', value: [1, 42] }], value: 'yes' }], default: 'no' } });
add('$case legacy filter does_not_contain falsy', { $case: { cases: [{ filter: [{ field: 'empty', operator: 'does_not_contain', value: 'x' }], value: 'yes' }], default: 'no' } });
add('$case legacy filter string length', { $case: { cases: [{ filter: [{ field: 'str.length', operator: 'is', value: 11 }], value: 'yes' }], default: 'no' } });
add('$case legacy filter array index step', { $case: { cases: [{ filter: [{ field: 'items[2].id', operator: 'is', value: 0 }], value: 'yes' }], default: 'no' } });
add('$case legacy filter unknown operator skipped', { $case: { cases: [{ filter: [{ field: 'num', operator: 'equals', value: 1 }], value: 'yes' }], default: 'no' } });
add('$case legacy filter empty list matches', { $case: { cases: [{ filter: [], value: 'yes' }], default: 'no' } });
add('$case legacy filter null condition throws', { $case: { cases: [{ filter: [null], value: 'yes' }] } });
add('$case legacy filter missing field throws', { $case: { cases: [{ filter: [{ operator: 'is', value: 1 }], value: 'yes' }] } });
add('$case legacy filter string condition skipped', { $case: { cases: [{ filter: ['x'], value: 'yes' }] } });
add('$case legacy filter whole variables', { $case: { cases: [{ filter: [{ field: '$', operator: 'is_not_empty' }], value: 'yes' }] } });
add('$case non-object case skipped', { $case: { cases: ['x', 5, { value: 'ok' }] } });
add('$case array case yields nothing', { $case: { cases: [[1], { value: 'ok' }] } });
add('$case null argument', { $case: null });
add('$case string argument', { $case: 'x' });
add('$case cases not a list', { $case: { cases: 'x', default: 1 } });
add('$case nested', { $case: { cases: [{ filter: { $eval: { $var: 'num' }, gte: 42 }, value: { $case: { cases: [{ filter: { $eval: { $var: 'str' }, contains: 'world' }, value: 'both' }], default: 'num only' } } }] } });

// ── $eval: operators over every type ───────────────────────────────────────────────────────────
const types = {
  undefined: undefined,
  null: null,
  true: true,
  false: false,
  zero: 0,
  one: 1,
  'one and a half': 1.5,
  'empty string': '',
  'string 1': '1',
  'string abc': 'abc',
  'string ABC def': 'ABC def',
  'empty array': [],
  'array 1 a': [1, 'a'],
  'empty object': {},
  'object a': { a: 1 },
};
const operands = {
  is: [null, 1, '1', true, 'abc', []],
  isNot: [null, 1, '1', true],
  oneOf: [[1, 'abc', null], ['1'], 'abc'],
  noneOf: [[1, 'abc', null], 'abc'],
  contains: ['b', 'A', 1, null],
  doesNotContain: ['b', 1, null],
  lt: [1, '2abc', 'x'],
  lte: [1, '1'],
  gt: [0, '0.5', null],
  gte: [1, '1e0'],
  isEmpty: [undefined],
  isNotEmpty: [undefined],
};
for (const [op, list] of Object.entries(operands)) {
  for (const [typeName, value] of Object.entries(types)) {
    for (const operand of list) {
      const variables = value === undefined ? {} : { v: value };
      const template = { $eval: { $var: 'v' } };
      if (operand !== undefined) template[op] = operand;
      else template[op] = true;
      add(`$eval ${op} ${typeName} vs ${JSON.stringify(operand)}`, template, variables);
    }
  }
}
add('$eval no operator is true', { $eval: { $var: 'missing' } });
add('$eval unknown operator is true', { $eval: { $var: 'num' }, equals: 1 });
add('$eval prototype operator throws', { $eval: { $var: 'num' }, toString: 1 });
add('$eval operand formula', { $eval: { $var: 'numStr' }, is: { $var: 'num' } });
add('$eval value formula', { $eval: { $concat: ['4', '2'] }, is: 42 });
add('$eval third key ignored', { $eval: { $var: 'num' }, is: 42, isNot: 42 });
add('$eval index key first is data', { $eval: { $var: 'num' }, 0: 1 });
add('$eval same variable object is itself', { $eval: { $var: 'obj' }, is: { $var: 'obj' } });
add('$eval equal literal object is not', { $eval: { $var: 'obj' }, is: { a: 1 } });
add('$eval oneOf by identity', { $eval: { $var: 'items[1]' }, oneOf: { $var: 'items' } });
add('$eval contains by identity', { $eval: { $var: 'items' }, contains: { $var: 'items.0' } });
add('$eval contains literal object', { $eval: { $var: 'items' }, contains: { id: 1 } });
add('$eval lt numeric strings', { $eval: { $var: 'numStr' }, lt: '100' });
add('$eval gt string prefix', { $eval: '12abc', gt: '9' });
add('$eval is number string spaces', { $eval: ' 42 ', is: 42 });
add('$eval is hex string', { $eval: '0x2A', is: 42 });
add('$eval is empty string zero', { $eval: '', is: 0 });
add('$eval is array string', { $eval: { $var: 'strs' }, is: 'a,b' });
add('$eval is boolean string', { $eval: 'true', is: true });
add('$eval is one true', { $eval: '1', is: true });
add('$eval contains case insensitive', { $eval: { $var: 'str' }, contains: 'WORLD' });
add('$eval contains number', { $eval: 12345, contains: 234 });
add('$eval contains undefined operand', { $eval: 'undefined value', contains: { $var: 'missing' } });
add('$eval isNotEmpty response id', { $eval: { $var: '$.response.id' }, isNotEmpty: true }, { response: { id: 'u1' } });
add('$eval isNotEmpty response missing', { $eval: { $var: '$.response.id' }, isNotEmpty: true }, { response: {} });
add('$eval isEmpty zero', { $eval: 0, isEmpty: true });

// ── $iterate ─────────────────────────────────────────────────────────────────────────────────
add('$iterate names', { $iterate: { source: { $var: 'items' }, item: { $var: 'item.name' } } });
add('$iterate drops falsy', { $iterate: { source: { $var: 'items' }, item: { $var: 'item.id' } } });
add('$iterate objects with index and parent', { $iterate: { source: { $var: 'items' }, item: { id: { $var: 'item.id' }, i: { $var: 'index' }, p: { $var: 'parent.parameters.projectId' }, tag: { $var: 'item.tags[0]' } } } });
add('$iterate $ is item index parent', { $iterate: { source: { $var: 'b' }, item: { $var: '$' } } }, { b: [5, 6] });
add('$iterate index zero dropped', { $iterate: { source: { $var: 'strs' }, item: { $var: 'index' } } });
add('$iterate nested parent item', { $iterate: { source: { $var: 'items' }, item: { $iterate: { source: { $var: 'item.tags' }, item: { $concat: { values: [{ $var: 'parent.item.name' }, { $var: 'item' }, { $var: 'index' }], delimiter: ':' } } } } } });
add('$iterate all falsy yields nothing', { $iterate: { source: { $var: 'items' }, item: { $var: 'item.missing' } } });
add('$iterate empty source yields nothing', { $iterate: { source: [], item: 1 } });
add('$iterate source not a list', { $iterate: { source: { $var: 'obj' }, item: 1 } });
add('$iterate literal source', { $iterate: { source: [1, { $var: 'missing' }, 'x'], item: { v: { $var: 'item' } } } });
add('$iterate missing item', { $iterate: { source: { $var: 'arr' } } });
add('$iterate string argument', { $iterate: 'x' });
add('$iterate item literal', { $iterate: { source: { $var: 'arr' }, item: 'k' } });
add('$iterate item with dropped keys', { $iterate: { source: { $var: 'items' }, item: { t: { $var: 'item.tags[0]' } } } });
add('$iterate root variables are not in scope', { $iterate: { source: { $var: 'arr' }, item: { $var: 'cursor' } } });
add('$iterate case on item', { $iterate: { source: { $var: 'items' }, item: { $case: { cases: [{ filter: { $eval: { $var: 'item.price' }, gt: 15 }, value: 'dear' }], default: 'cheap' } } } });
add('$iterate legacy filter on item', { $iterate: { source: { $var: 'items' }, item: { $case: { cases: [{ filter: [{ field: 'item.tags', operator: 'is_not_empty' }], value: { $var: 'item.name' } }] } } } });

// ── $firstNotEmpty, $and, $or, $mergeObjects ─────────────────────────────────────────────────
add('$firstNotEmpty skips null and missing', { $firstNotEmpty: [{ $var: 'missing' }, { $var: 'nul' }, { $var: 'empty' }, 'x'] });
add('$firstNotEmpty zero counts', { $firstNotEmpty: [null, 0] });
add('$firstNotEmpty nothing', { $firstNotEmpty: [{ $var: 'missing' }, null] });
add('$firstNotEmpty empty list', { $firstNotEmpty: [] });
add('$firstNotEmpty not a list', { $firstNotEmpty: 'x' });
add('$firstNotEmpty list formula', { $firstNotEmpty: { $var: 'nested.a.b' } });
add('$and all truthy', { $and: [true, 1, 'x', { $var: 'obj' }] });
add('$and one falsy', { $and: [true, { $var: 'zero' }] });
add('$and nulls ignored', { $and: [null, { $var: 'missing' }, true] });
add('$and only nulls', { $and: [null, { $var: 'nul' }] });
add('$and empty', { $and: [] });
add('$and not a list', { $and: true });
add('$or one truthy', { $or: [false, 0, '', 'x'] });
add('$or all falsy', { $or: [false, 0, ''] });
add('$or only nulls', { $or: [null] });
add('$or evals', { $or: [{ $eval: { $var: 'num' }, lt: 10 }, { $eval: { $var: 'str' }, isNotEmpty: true }] });
add('$mergeObjects', { $mergeObjects: [{ a: 1, b: 1 }, { $var: 'obj' }, { b: 2 }] });
add('$mergeObjects skips non-objects', { $mergeObjects: [1, 'x', null, { $var: 'missing' }, { c: 3 }] });
add('$mergeObjects arrays as index keys', { $mergeObjects: [{ z: 1 }, ['a', 'b']] });
add('$mergeObjects nothing', { $mergeObjects: [{}, { $var: 'emptyObj' }] });
add('$mergeObjects not a list', { $mergeObjects: { a: 1 } });

// ── $map ─────────────────────────────────────────────────────────────────────────────────────
const status = (value) => ({ $map: { value, mapping: [{ from: 'open', to: 'OPEN' }, { from: 1, to: 'ONE' }, { from: { a: 1 }, to: 'OBJ' }, { from: { $var: 'cursor' }, to: 'CURSOR' }], default: 'OTHER' } });
add('$map match', status('open'));
add('$map loose match', status('1'));
add('$map deep equal match', status({ $var: 'obj' }));
add('$map from formula', status('c1'));
add('$map default', status('closed'));
add('$map no default', { $map: { value: 'x', mapping: [] } });
add('$map undefined matches undefined from', { $map: { value: { $var: 'missing' }, mapping: [{ to: 'none' }] } });
add('$map null matches missing from', { $map: { value: null, mapping: [{ from: { $var: 'missing' }, to: 'loose' }] } });
add('$map null entry throws', { $map: { value: 'x', mapping: [null] } });
add('$map string entry skipped', { $map: { value: 'x', mapping: ['x'], default: 'd' } });
add('$map not an object', { $map: 'x' });
add('$map mapping not a list', { $map: { value: 'x', mapping: { x: 1 }, default: 'd' } });

// ── $plain, $record, wrappers, $dataSchemaRef ────────────────────────────────────────────────
add('$plain keeps formulas', { $plain: { $var: 'str', x: [{ $concat: [] }] } });
add('$plain scalar', { $plain: 5 });
add('$record id', { $record: { id: 'r1', name: 'x' } });
add('$record without id', { $record: { name: 'x' } });
add('$record string', { $record: 'r1' });
add('$copy wraps its built argument', { $copy: { $var: 'cursor' } });
add('$lookup wraps', { $lookup: { key: { $var: 'num' } } });
add('$findAppRecordId wraps', { $findAppRecordId: { recordId: { $var: 'cursor' } } });
add('$findExternalRecordId wraps', { $findExternalRecordId: ['a', { $var: 'num' }] });
add('$dataSchemaRef yields nothing', { a: { $dataSchemaRef: { type: 'data-collection', key: 'x' } }, b: 1 });

// ── prototype names ──────────────────────────────────────────────────────────────────────────
add('$toString throws', { a: { $toString: 1 } });
add('$constructor throws', { $constructor: 1 });
add('$hasOwnProperty throws', [{ $hasOwnProperty: 'x' }]);

// ── coercion corners ─────────────────────────────────────────────────────────────────────────
const looseIs = [
  [[1], 1], [[[1]], 1], [{}, '[object Object]'], [null, 0], ['', 0], [' ', 0], ['\n\t', 0], ['1e3', 1000],
  ['0b11', 3], ['0o7', 7], ['1_000', 1000], ['.5', 0.5], ['5.', 5], ['+5', 5], ['-0x1', -1], ['0x', 0],
  [[1, 2], '1,2'], [[null], ''], [[null, null], ','], [true, '1'], [false, ''], [false, []], [true, [1]],
  [null, ''], [null, false], ['abc', 'ABC'], [1.5, '1.50'], [100, '1e2'], ['Infinity', 'Infinity'], [[], ''],
];
for (const [a, b] of looseIs) add(`$eval is ${JSON.stringify(a)} == ${JSON.stringify(b)}`, { $eval: { $var: 'a' }, is: { $var: 'b' } }, { a, b });
const floats = [' 3abc', '-.5', 'Infinity', '-Infinityx', '1e', '1e+', '.e1', '1.5e2x', [2], [1, 2], true, null, '\u00a02', '\ufeff2', '\u00852', '0x10', '1,5'];
for (const f of floats) add(`$eval gt parseFloat ${JSON.stringify(f)}`, { $eval: { $var: 'a' }, gt: -1000 }, { a: f });
add('$eval lt both unparsable', { $eval: 'x', lt: 'y' });
add('$eval contains dotted capital I', { $eval: 'İstanbul', contains: 'i̇st' });
add('$eval contains final sigma', { $eval: 'ΟΔΟΣ', contains: 'δος' });
add('$eval contains german sharp s', { $eval: 'STRASSE', contains: 'ß' });
add('$eval contains empty needle', { $eval: 'abc', contains: '' });
add('$eval contains in number array', { $eval: [1, 2], contains: '1' });
add('$eval doesNotContain in array', { $eval: ['a'], doesNotContain: 'a' });
add('$eval oneOf with NaN-free duplicates', { $eval: 'a', oneOf: ['a', 'a'] });
add('$concat odd numbers', { $concat: { values: [{ $var: 'a' }, { $var: 'b' }, { $var: 'c' }, { $var: 'd' }, { $var: 'e' }], delimiter: '|' } }, { a: 1e-7, b: 123e-20, c: 1e300, d: 0.000001, e: 2 ** 53 + 2 });
add('$concat nested empty arrays', { $concat: [[[]], [[], []], 'x'] });
add('$and truthy containers', { $and: [[], {}, '0'] });
add('$mergeObjects integer keys', { $mergeObjects: [{ b: 1, 2: 'x' }, { a: 1, 1: 'y' }] });
add('$var backslash backslash dot', { $var: 'a\\\\.b' }, { 'a\\': { b: 'found' } });
add('$var escaped backslash key', { $var: 'a\\\\' }, { 'a\\': 'found' });
add('$var bracket step on object', { $var: 'nums[0]' });
add('$var trailing backslash', { $var: 'a\\' }, { 'a\\': 'found' });
add('$var escaped line break', { $var: 'a\\\nb' }, { 'a\\\nb': 'kept', 'a\nb': 'unescaped' });
add('$iterate source from firstNotEmpty', { $iterate: { source: { $firstNotEmpty: [{ $var: 'missing' }, { $var: 'strs' }] }, item: { $concat: [{ $var: 'item' }, '!'] } } });
add('$iterate source built by iterate', { $iterate: { source: { $iterate: { source: { $var: 'arr' }, item: { n: { $var: 'item' } } } }, item: { $var: 'item.n' } } });
add('$case legacy filter list field', { $case: { cases: [{ filter: [{ field: [{ type: 'object_property', propertyName: 'num' }], operator: 'is', value: 42 }], value: 'yes' }], default: 'no' } });
add('$case legacy filter prototype operator throws', { $case: { cases: [{ filter: [{ field: 'num', operator: 'toString', value: 42 }], value: 'yes' }] } });
add('$case legacy filter nested arrays fan out', { $case: { cases: [{ filter: [{ field: 'm.k', operator: 'is', value: 3 }], value: 'yes' }], default: 'no' } }, { m: [[{ k: 1 }], [{ k: 2 }, [{ k: 3 }]]] });
add('$case legacy filter string index', { $case: { cases: [{ filter: [{ field: 's.1', operator: 'is', value: 'b' }], value: 'yes' }], default: 'no' } }, { s: 'abc' });
add('$case legacy filter less_than strings', { $case: { cases: [{ filter: [{ field: 'items.price', operator: 'less_than', value: 15 }], value: 'yes' }], default: 'no' } });
add('$case legacy contains case sensitive', { $case: { cases: [{ filter: [{ field: 'str', operator: 'contains', value: 'world' }], value: 'yes' }], default: 'no' } });
add('$case legacy filter operator not a string', { $case: { cases: [{ filter: [{ field: 'num', operator: ['is'], value: 42 }], value: 'yes' }], default: 'no' } });
add('$tpl more replacement patterns', { $tpl: { template: '{x}', values: { x: '$0 $10 $< $' } } });
add('$tpl named group', { $tpl: { template: '{ab}', values: { '(?<n>a)b': '[$<n>|$<m>]' } } });
add('$tpl alternation key', { $tpl: { template: '{a}{b}', values: { 'a\\}|\\{b': 'X' } } });
add('$tpl unicode', { $tpl: { template: 'é{ü}😀{ü}', values: { 'ü': 'ß' } } });

// ── templates as connectors write them ───────────────────────────────────────────────────────
const input = { input: { parameters: { minorversion: 65 }, data: { Name: 'Acct', Type: 'Bank' } }, credentials: { realmId: 'r1', access_token: 't' }, cursor: null, parameters: { projectId: 'p9' } };
add('connector quickbooks create request', { path: '/account', method: 'post', requestMapping: { query: { minorversion: { $var: 'input.parameters.minorversion' } }, data: { $var: 'input.data' } } }, input);
add('connector list request without cursor', { query: { limit: 100, offset: { $var: '$.cursor' }, projectId: { $var: '$.parameters.projectId' } } }, input);
add('connector list response', { records: { $var: 'response.data.data' }, cursor: { $var: 'response.data.next_page.offset' } }, { response: { data: { data: [{ id: 1 }], next_page: { offset: 20 } }, headers: {}, statusCode: 200 } });
add('connector list response last page', { records: { $var: 'response.data.data' }, cursor: { $var: 'response.data.next_page.offset' } }, { response: { data: { data: [], next_page: null } } });
add('connector response handler 401', { $eval: { $var: 'response.status' }, is: 401 }, { response: { status: 401, headers: {}, data: {} } });
add('connector make api client args', { args: { baseUri: { $concat: { values: ['https://quickbooks.api.intuit.com/v3/company', { $var: 'credentials.realmId' }], delimiter: '/' } }, headers: { Authorization: { $concat: ['Bearer ', { $var: 'credentials.access_token' }] }, Accept: 'application/json' } } }, input);
add('connector record from fields', { id: { $var: 'fields.Id' }, name: { $firstNotEmpty: [{ $var: 'fields.DisplayName' }, { $var: 'fields.Name' }] }, updatedTime: { $var: 'fields.MetaData.LastUpdatedTime' }, createdTime: { $var: 'fields.MetaData.CreateTime' } }, { fields: { Id: '7', Name: 'N', MetaData: { LastUpdatedTime: '2024-01-02T03:04:05-08:00' } } });
add('connector webhook handle events', { events: { $iterate: { source: { $var: 'data.events' }, item: { type: { $case: { cases: [{ filter: { $eval: { $var: 'item.action' }, oneOf: ['created', 'added'] }, value: 'created' }, { filter: { $eval: { $var: 'item.action' }, is: 'deleted' }, value: 'deleted' }], default: 'updated' } }, record: { id: { $var: 'item.id' } }, account: { $var: 'parent.state.accountId' } } } }, response: { statusCode: 200 } }, { data: { events: [{ action: 'added', id: 'a' }, { action: 'deleted', id: 'b' }, { action: 'renamed', id: 'c' }] }, state: { accountId: 'acc1' }, headers: {}, query: {} });
add('connector webhook handle no events', { events: { $iterate: { source: { $var: 'data.events' }, item: { id: { $var: 'item.id' } } } }, response: { statusCode: 200 } }, { data: {} });
add('connector path parameters', { pathParameters: { id: { $var: 'id' } }, query: { fields: { $concat: { values: { $var: 'fields' }, delimiter: ',' } } } }, { id: 12, fields: ['a', 'b'] });

// ── $firstName, $lastName ────────────────────────────────────────────────────────────────────
const people = {
  'two words': 'John Smith',
  'three words': 'John Paul Smith',
  'salutation and suffix': 'Mr. John Smith Jr.',
  'last name first': 'Smith, John Paul',
  'last name first with suffix': 'Smith Jr., John',
  'compound last name': 'Ludwig van Beethoven',
  'double compound': 'Juan de la Cruz',
  'single word': 'Madonna',
  'salutation and one name': 'Dr Who',
  'empty': '',
  'spaces': '   ',
  'quoted part': 'John "Jack Junior" Smith',
  'comma glued': 'Smith,John',
  'comma spaced': 'John Smith , Jr.',
  'many spaces': '  Mary   Ann   Lee  ',
  'number': 42,
  'null': null,
  'unicode': 'Zoë Ångström',
  'trailing comma part': 'Smith,',
  'king': 'Dr. Martin Luther King Jr.',
  'king last first': 'King, Martin Luther, Jr.',
  'compound last first': 'van Beethoven, Ludwig',
  'hyphen': 'Jean-Luc Picard',
  'apostrophe': "Conan O'Brien",
  'salutation only': 'Mr',
  'salutation two words': 'Mr Smith Jr',
  'and': 'John and Jane Doe',
  'tab': 'John\tSmith',
  'quotes only': '""',
  'quoted single': '"Jack"',
  'unterminated quote': '"Jack Smith',
  'roman suffix': 'John Smith III',
  'senior salutation': 'sr john smith',
  'st claire': 'John St. Claire',
  'repeated middle': 'Ann Lee Lee Ray',
  'two commas': 'Smith, John, Paul',
};
for (const [name, value] of Object.entries(people)) {
  add(`$firstName ${name}`, { $firstName: { $var: 'v' } }, { v: value });
  add(`$lastName ${name}`, { $lastName: { $var: 'v' } }, { v: value });
}
add('$firstName missing', { $firstName: { $var: 'v' } }, {});

// ── $extractDate, $extractTime ───────────────────────────────────────────────────────────────
const dates = {
  'iso date': '2020-01-02',
  'iso date time z': '2020-01-02T10:20:30Z',
  'iso offset': '2020-01-02T10:20:30.123+02:00',
  'iso compact offset': '2020-01-02T23:20:30-0230',
  'iso no seconds': '2020-01-02T10:20',
  'space separated': '2020-01-02 10:20',
  'year month': '2020-01',
  'year': '2020',
  'extended year': '+002020-01-02',
  'negative year': '-000001-06-15T00:00:00Z',
  'short parts': '2020-1-2',
  'slashes ymd': '2020/01/02',
  'slashes mdy': '01/02/2020',
  'us time pm': '1/2/2020 3:04 PM',
  'month name': 'Jan 2 2020',
  'day month name': '2 January 2020',
  'long form': 'January 2, 2020 10:00:00',
  'rfc 2822': 'Thu, 02 Jan 2020 10:00:00 GMT',
  'js date string': 'Thu Jan 02 2020 10:00:00 GMT+0100 (CET)',
  'named zone': '2000-01-01 08:00:00 PST',
  'millis string': '1700000000000',
  'small number string': '12',
  'zero string': '0',
  'bad month': '2020-13-01',
  'february 30': '2020-02-30',
  'hour 24': '2020-01-02T24:00:00Z',
  'many fraction digits': '2020-01-02T10:20:30.1234567Z',
  'padded': '  2020-01-02  ',
  'date with z': '2020-01-02Z',
  'garbage': 'tomorrow',
  'two digit year': '1/2/99',
  'dotted': '2020.01.02',
  'iso with word zone': '2000-01-01T08:00:00 EST',
  'dash month name': '02-Jan-2020',
  'time only': '12:00',
  'max date': '+275760-09-13T00:00:00Z',
  'past max date': '+275760-09-13T00:00:00.001Z',
  'parenthesised comment': '2020-01-02 (note) 10:00',
  'month and day only': 'Jan 2',
  'offset hours only': '2020-01-02T10:20:30+02',
  'dot without fraction': '2020-01-02T10:20:30.Z',
  'week date': '2020-W01',
  'weekday month': 'Tue Mar 01 2022',
  'iso zero offset': '2022-03-01T00:00:00.000+00:00',
  'pm with zone': 'March 7, 2020 7:00 PM EST',
  'hour pm only': '7 pm',
  'offset hhmm after time': '2020-01-02 10:20 +0530',
  'gmt plus hours': '2020-01-02 10:20 GMT+5',
  'utc minus hh colon mm': '2020-01-02 10:20 UTC-8:00',
  'two digit year 70': '1 Jan 70',
  'us long': 'Dec 25, 1995',
  'us with millis': '12/25/1995 23:59:59.999',
  'four fraction digits': '2020-01-02T10:20:30.9999Z',
  'double colon': '2020-01-02 10::',
  'seconds dot millis legacy': '1/2/2020 10:20:30.5',
  'lower t separator': '2020-01-02t10:20:30z',
  'year zero negative': '-000000-01-01T00:00:00Z',
  'year 0000': '0000-01-01',
  'ut zone': '2020-01-02 10:00 UT',
  'junk before number': 'on 2020-01-02',
  'junk glued to number': 'x2020-01-02',
  'junk after number': '2020-01-02 foo',
  'plus sign early': '+2020-01-02',
  'closing paren': '2020-01-02 )',
  'month name and year': 'March 2021',
  'year month name day': '2020 Jan 2',
  'weekday iso': 'Mon 2020-01-02',
  'am hour 12': '1/2/2020 12:30 am',
  'nul inside': '2020-01-02\u00003',
};
for (const [name, value] of Object.entries(dates)) {
  add(`$extractDate ${name}`, { $extractDate: { $var: 'v' } }, { v: value });
  add(`$extractTime ${name}`, { $extractTime: { $var: 'v' } }, { v: value });
}
add('$extractDate number', { $extractDate: 1577923200000 });
add('$extractDate missing', { $extractDate: { $var: 'v' } }, {});
add('$extractDate null', { $extractDate: null });
add('$extractTime array', { $extractTime: ['2020-01-02T03:04:05Z'] });

// ── $domainFromEmail ─────────────────────────────────────────────────────────────────────────
add('$domainFromEmail', { $domainFromEmail: 'ann@example.com' });
add('$domainFromEmail two ats', { $domainFromEmail: 'a@b@c' });
add('$domainFromEmail no at', { $domainFromEmail: 'example.com' });
add('$domainFromEmail trailing at', { $domainFromEmail: 'ann@' });
add('$domainFromEmail not a string', { $domainFromEmail: 5 });
add('$domainFromEmail formula', { $domainFromEmail: { $var: 'e' } }, { e: 'x@y.org' });

// ── $formula ─────────────────────────────────────────────────────────────────────────────────
add('$formula fills vars, keeps other formulas', { $formula: { a: { $var: 'cursor' }, b: { $concat: [{ $var: 'num' }, 'x'] }, c: 1 } });
add('$formula iterate source only', { $formula: { $iterate: { source: { $var: 'strs' }, item: { $var: 'item' } } } });
add('$formula missing var deleted', { $formula: { a: { $var: 'missing' }, b: { $var: 'num' } } });
add('$formula missing var splices and shifts', { $formula: [{ $var: 'missing' }, { $var: 'num' }, { $var: 'cursor' }] });
add('$formula root var unchanged', { $formula: { $var: 'num' } });
add('$formula eval value only', { $formula: { $eval: { $var: 'num' }, is: { $var: 'num' } } });
add('$formula scalar', { $formula: 5 });
add('$formula inside iterate remembers the first item', { $iterate: { source: { $var: 'items' }, item: { $formula: { n: { $var: 'item.name' } } } } });

// ── $jsonata ─────────────────────────────────────────────────────────────────────────────────
add('$jsonata path', { $jsonata: 'parameters.projectId' });
add('$jsonata sum', { $jsonata: '$sum(arr)' });
add('$jsonata string concat', { $jsonata: 'str & "!"' });
add('$jsonata conditional', { $jsonata: 'num > 40 ? "big" : "small"' });
add('$jsonata map', { $jsonata: 'items.name' });
add('$jsonata filter', { $jsonata: 'items[price > 5].id' });
add('$jsonata object', { $jsonata: '{"id": cursor, "n": $count(items)}' });
add('$jsonata missing', { $jsonata: 'nope.nope' });
add('$jsonata parse error', { $jsonata: 'items[' });
add('$jsonata evaluation error', { $jsonata: 'str * 2' });
add('$jsonata empty expression', { $jsonata: '' });
add('$jsonata non-string expression', { $jsonata: 5 });
add('$jsonata expression from variable', { $jsonata: { $var: 'expr' } }, { expr: 'a + 1', a: 2 });
add('$jsonata in iterate', { $iterate: { source: { $var: 'items' }, item: { $jsonata: 'item.id * 10 + index' } } });
add('$jsonata float', { $jsonata: '0.1 + 0.2' });
add('$jsonata lambda map', { $jsonata: '$map(arr, function($v) { $v * 2 })' });
add('$jsonata singleton sequence', { $jsonata: 'items[0].tags' });
add('$jsonata keys', { $jsonata: '$keys(obj)' });
add('$jsonata exists', { $jsonata: '$exists(missing)' });
add('$jsonata string of float', { $jsonata: '$string(0.1 + 0.2)' });
add('$jsonata sort by', { $jsonata: 'items^(>id).name' });
add('$jsonata null concat', { $jsonata: '"a" & nul' });
add('$jsonata empty string result', { $jsonata: 'empty' });
add('$jsonata parent in iterate', { $iterate: { source: { $var: 'strs' }, item: { $jsonata: 'parent.cursor & item' } } });
add('$jsonata array input', { $jsonata: '$[1]' }, [5, 6, 7]);

export default cases;
