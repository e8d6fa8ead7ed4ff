/**
 * @fileoverview Server wraps polka and can be used in the exact same way.
 */

const polka = require('polka');
module.exports = polka;
