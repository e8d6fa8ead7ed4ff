const http = require('http')
const addon = require('hello-addon')
const port = Number(process.env.PORT || 8080)
http.createServer((req, res) => {
  res.end(`native addon: ${addon.hello()} (Node.js ${process.version})\n`)
}).listen(port, () => console.log(`listening on ${port}`))
