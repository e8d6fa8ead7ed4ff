// Answers HTTP with a duration formatted by its one dependency, so the test can see node_modules at work.
const http = require('node:http')
const ms = require('ms')

const started = Date.now()
http.createServer((req, res) => {
  res.end(`npm sample up ${ms(Date.now() - started + 60000, { long: true })}\n`)
}).listen(Number(process.env.PORT || 8080))
