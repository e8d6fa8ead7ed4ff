// The demo app: answers every GET with a greeting naming the Node.js version it runs on.
const express = require('express')

const app = express()
const port = Number(process.env.PORT || 8080)
const greeting = 'Hello from lading'

app.get('/', (req, res) => {
  res.type('text/plain').send(`${greeting} (express, Node.js ${process.version})\n`)
})

app.listen(port, () => {
  console.log(`listening on ${port}`)
})
