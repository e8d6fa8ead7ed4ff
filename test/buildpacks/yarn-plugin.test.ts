// yarn-plugin.ts without Yarn: the release it picks for a Yarn version, the plugin file it makes (run here with a stand-in for Yarn's require), and what it refuses. real-apps.test.ts builds a Yarn 3 app with it.
import t from 'tap'
import { homeRc, pickPluginVersion, pluginSource, requiredModules, WORKSPACE_TOOLS } from '../../buildpacks/src/yarn-plugin.js'

t.test('the newest release of Yarn\'s major whose @yarnpkg/cli peer range takes the Yarn version', async (t) => {
  const versions = {
    '2.2.0': { peerDependencies: { '@yarnpkg/cli': '^2.4.0' } },
    '3.0.0': { peerDependencies: { '@yarnpkg/cli': '^3.0.0' } },
    '3.1.4': { peerDependencies: { '@yarnpkg/cli': '^3.2.0' } },
    '3.1.6': { peerDependencies: { '@yarnpkg/cli': '^3.4.0' } },
    '3.2.0-rc.1': { peerDependencies: { '@yarnpkg/cli': '^3.4.0' } },
    '4.1.8': { peerDependencies: { '@yarnpkg/cli': '^4.0.0' } },
  }
  t.equal(pickPluginVersion(versions, '3.6.4'), '3.1.6')
  t.equal(pickPluginVersion(versions, '3.3.1'), '3.1.4', 'a release made for a newer Yarn is passed over')
  t.equal(pickPluginVersion(versions, '3.1.0'), '3.0.0')
  t.equal(pickPluginVersion(versions, '3.0.0-rc.2'), undefined, 'no 3.x release takes it')
  t.equal(pickPluginVersion({ '3.0.1': {} }, '3.0.0'), '3.0.1', 'no peer range: taken')
  t.equal(pickPluginVersion(versions, '2.4.2'), '2.2.0', 'Yarn 2 gets a 2.x release')
  t.equal(pickPluginVersion(versions, '2.3.0'), undefined, 'the 2.x release needs Yarn 2.4')
})

t.test('the plugin file: Yarn\'s factory gets the focus command, whose requires go to Yarn\'s require', async (t) => {
  const focusJs = `"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
const cli_1 = require("@yarnpkg/cli");
class WorkspacesFocus extends cli_1.BaseCommand {}
WorkspacesFocus.paths = [[\`workspaces\`, \`focus\`]];
exports.default = WorkspacesFocus;`
  const src = pluginSource(focusJs)
  const mod = { exports: {} as { name?: string; factory?: (r: (n: string) => unknown) => { default: { commands: unknown[] } } } }
  new Function('module', 'exports', src)(mod, mod.exports)
  t.equal(mod.exports.name, WORKSPACE_TOOLS)
  const asked: string[] = []
  class BaseCommand {}
  const plugin = mod.exports.factory!((n) => { asked.push(n); return { BaseCommand } })
  t.same(asked, ['@yarnpkg/cli'])
  t.equal(plugin.default.commands.length, 1)
  const cmd = plugin.default.commands[0] as { paths: string[][]; prototype: object }
  t.same(cmd.paths, [['workspaces', 'focus']])
  t.ok(cmd.prototype instanceof BaseCommand)
})

t.test('the modules a command requires, and the rc file naming the plugin', async (t) => {
  t.same(requiredModules(`const a = require("@yarnpkg/core"); const b = require('clipanion'); require("@yarnpkg/core"); const t = require("tslib")`), ['@yarnpkg/core', 'clipanion', 'tslib'])
  t.equal(homeRc('/layers/lading_yarn-install/yarn/plugins/workspace-tools-3.1.6.cjs'),
    'plugins:\n  - path: "/layers/lading_yarn-install/yarn/plugins/workspace-tools-3.1.6.cjs"\n    spec: "@yarnpkg/plugin-workspace-tools"\n')
})

t.test('a library Yarn does not give plugins (tslib for the 2.x command) goes inside, evaluated once, off Yarn\'s global object', async (t) => {
  // tslib's own shape: a UMD wrapper that exports to module.exports and to the global object.
  const tslibJs = `var __decorate;
(function (factory) {
  var root = typeof global === "object" ? global : typeof self === "object" ? self : typeof this === "object" ? this : {};
  if (typeof define === "function" && define.amd) { throw new Error("not AMD"); }
  else if (typeof module === "object" && typeof module.exports === "object") { factory(exporter(root, exporter(module.exports))); }
  else { factory(exporter(root)); }
  function exporter(exports, previous) { return function (id, v) { return exports[id] = previous ? previous(id, v) : v; }; }
})(function (exporter) {
  __decorate = function () { return 'decorated'; };
  exporter("__decorate", __decorate);
  globalThis.tslibEvaluations = (globalThis.tslibEvaluations || 0) + 1;
});`
  const focusJs = `"use strict";
const tslib_1 = require("tslib");
const again = require("tslib");
const cli_1 = require("@yarnpkg/cli");
class WorkspacesFocus extends cli_1.BaseCommand {}
WorkspacesFocus.decorated = tslib_1.__decorate();
WorkspacesFocus.same = tslib_1 === again;
exports.default = WorkspacesFocus;`
  const src = pluginSource(focusJs, { tslib: tslibJs })
  t.match(src, /with tslib inside/)
  const mod = { exports: {} as { factory?: (r: (n: string) => unknown) => { default: { commands: unknown[] } } } }
  new Function('module', 'exports', src)(mod, mod.exports)
  const asked: string[] = []
  class BaseCommand {}
  const g = globalThis as { __decorate?: unknown; tslibEvaluations?: number }
  const plugin = mod.exports.factory!((n) => { asked.push(n); return { BaseCommand } })
  t.same(asked, ['@yarnpkg/cli'], 'tslib is not asked of Yarn')
  const cmd = plugin.default.commands[0] as { decorated: string; same: boolean }
  t.equal(cmd.decorated, 'decorated')
  t.ok(cmd.same, 'one tslib for every require')
  t.equal(g.tslibEvaluations, 1)
  t.equal(g.__decorate, undefined, 'its helpers are not set on the global object')
  delete g.tslibEvaluations
})
