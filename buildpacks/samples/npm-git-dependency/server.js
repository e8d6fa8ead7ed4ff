// A dependency taken from a git repository, as `github:owner/repo` ones are: npm clones it with git.
const http = require('http')
const greeting = require('greeting')

const port = process.env.PORT || 8080
http.createServer((_req, res) => res.end(greeting('npm-git-dependency')))
  .listen(port, () => console.log(`npm-git-dependency running on ${port}`))
