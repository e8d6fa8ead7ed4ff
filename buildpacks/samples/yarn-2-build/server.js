// Answers with what the build step wrote; dotenv, a devDependency, is not in the image.
const http = require('http')
const fs = require('fs')
const ms = require('ms')

const port = process.env.PORT || 8080
http.createServer((_req, res) => {
  res.end(`Hello from yarn-2-build (${fs.readFileSync('built.txt', 'utf8')}; ms: ${ms(60000)})`)
}).listen(port, () => console.log(`yarn-2-build running on ${port}`))
