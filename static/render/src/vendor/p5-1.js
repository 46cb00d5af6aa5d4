// p5.js 1.x (the p5-1 alias in package.json: p5@1.11.x, what most published sketches were written
// for) as a classic script that defines the global p5, which the p5 runner starts. Bundled on its
// own (Makefile), like three.js: the package's own minified build, without its friendly errors.
import p5 from "p5-1";

window.p5 = p5;
