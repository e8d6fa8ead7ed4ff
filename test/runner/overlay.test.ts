// Tests of the stage's overlays: mountinfo parsing, the whiteout layer, host mounts bound back, and when an overlay cannot hide.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { chmodSync, lstatSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { layOverlay, linkWhiteouts, mountPoints, OverlayUnfit } from '../../lib/runner/overlay.js'
import type { OverlayOp } from '../../lib/runner/sandbox-view.js'

t.test('mount points come from field 5 of mountinfo, octal escapes decoded', async (t) => {
  const text = '22 1 254:0 / / rw - ext4 /dev/vda rw\n' +
    '30 22 0:5 / /mnt/a\\040b rw - tmpfs tmpfs rw\n' +
    '\n'
  t.same(mountPoints(text), ['/', '/mnt/a b'])
})

t.test('a hidden path inside a host mount cannot be whited out', async (t) => {
  const o: OverlayOp = { op: 'overlay', source: '/etc', path: '/etc', dirs: ['ssl'], whiteouts: ['ssl/private'] }
  let err: unknown
  try {
    layOverlay(o, '/nonexistent/layer', '/v/etc', ['/etc/ssl'])
  } catch (e) {
    err = e
  }
  t.ok(err instanceof OverlayUnfit, 'the stage falls back to a bind per entry')
  t.match(err, { message: /\/etc\/ssl is a mount with a hidden path inside/ })
})

t.test('the top layer: mirrored dirs, whiteouts; host mounts inside bound back unless hidden', { skip: process.getuid?.() !== 0 && 'needs root (mknod, chown)' }, async (t) => {
  const dir = t.testdir({ src: { secret: 's', keep: 'k', sub: { hidden: 'h', shown: 'x' } } })
  const src = join(dir, 'src')
  chmodSync(join(src, 'sub'), 0o750)
  const wh = join(dir, 'wh')
  execFileSync('mknod', ['--', wh, 'c', '0', '0'])
  mkdirSync(join(dir, 'layers'))
  const layer = join(dir, 'layers', 'l0')
  const o: OverlayOp = { op: 'overlay', source: src, path: '/etc', dirs: ['sub'], whiteouts: ['secret', 'sub/hidden'] }
  const mounts = [join(src, 'm'), join(src, 'm', 'nested'), join(src, 'secret', 'x'), join(src, 'sub', 'hidden'), '/elsewhere', `${src}x`]
  const laid = layOverlay(o, layer, '/v/etc', mounts)
  t.same(laid.whiteouts, [join(layer, 'secret'), join(layer, 'sub', 'hidden')])
  linkWhiteouts(wh, laid.whiteouts)
  t.same(laid.mounts, [
    { source: 'overlay', target: '/v/etc', type: 'overlay', options: `ro,lowerdir=${layer}:${src}` },
    { source: join(src, 'm'), target: '/v/etc/m', type: 'none', options: 'rbind,ro' },
  ], 'the overlay, then only the topmost shown host mount inside it')
  t.equal(lstatSync(join(layer, 'sub')).mode & 0o7777, 0o750, "a layer dir has its host dir's mode")
  t.equal(lstatSync(layer).mode & 0o7777, lstatSync(src).mode & 0o7777)
  for (const w of ['secret', 'sub/hidden']) {
    const st = lstatSync(join(layer, w))
    t.ok(st.isCharacterDevice() && st.rdev === 0, `${w} is a whiteout`)
  }
})
