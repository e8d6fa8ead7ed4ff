// An app with git hooks: its prepare script (`husky install`) needs a devDependency, and npm and
// pnpm run prepare on every install, production ones included.
const http = require('http')
const ms = require('ms')

const port = process.env.PORT || 8080
http.createServer((_req, res) => {
  let husky = 'absent'
  try { require.resolve('husky'); husky = 'present' } catch {}
  res.end(`Hello from npm-husky-prepare (ms: ${ms(60000)}, husky at run time: ${husky})`)
}).listen(port, () => console.log(`npm-husky-prepare running on ${port}`))
