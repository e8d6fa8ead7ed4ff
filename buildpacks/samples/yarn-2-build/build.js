// The build step: needs the devDependency dotenv, and writes what the server reads at run time.
require('dotenv')
require('fs').writeFileSync('built.txt', 'built with dotenv')
