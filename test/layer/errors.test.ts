import t from 'tap'
import { LadingError } from '../../lib/errors.js'
import { FileChangedError, UnsafePathError, UnsupportedFileTypeError } from '../../lib/layer/index.js'

t.test('layer errors carry stable codes and name what failed', async (t) => {
  const u = new UnsafePathError('../x', 'path contains a ".." component')
  t.ok(u instanceof LadingError)
  t.equal(u.code, 'ERR_LAYER_UNSAFE_PATH')
  t.equal(u.name, 'UnsafePathError')
  t.equal(u.entry, '../x')
  t.equal(u.message, 'refusing tar entry "../x": path contains a ".." component')
  const f = new UnsupportedFileTypeError('/src/pipe', 'FIFO')
  t.equal(f.code, 'ERR_LAYER_UNSUPPORTED_FILE')
  t.match(f.message, /FIFO "\/src\/pipe"/)
  const c = new FileChangedError('/src/f', 10, 3)
  t.equal(c.code, 'ERR_LAYER_FILE_CHANGED')
  t.match(c.message, /expected 10 bytes, read 3/)
})
