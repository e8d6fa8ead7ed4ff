// processAlive: this process is alive, a child that has exited is not.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { processAlive } from '../lib/process-alive.js'

t.test('this process is alive; an exited child is not', async (t) => {
  t.equal(processAlive(process.pid), true)
  const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' })
  t.equal(processAlive(Number(child.stdout.trim())), false)
})
