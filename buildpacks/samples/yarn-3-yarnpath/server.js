// A Yarn 3 project from before Corepack: no packageManager, only the release it commits (yarnPath).
const http = require('http')
const ms = require('ms')

const port = process.env.PORT || 8080
http.createServer((_req, res) => {
  res.end(`Hello from yarn-3-yarnpath (ms: ${ms(60000)})`)
}).listen(port, () => console.log(`yarn-3-yarnpath running on ${port}`))
