import t from 'tap'
import { repoPath, type RepoContext } from '../../lib/registry/context.js'

t.test('repoPath is /v2/<repository>', async (t) => {
  t.equal(repoPath({ repository: 'library/ubuntu' } as RepoContext), '/v2/library/ubuntu')
})
