// p5.js 2.x (the p5-2 alias in package.json: what p5 is now) as a classic script that defines the
// global p5, which the p5 runner starts. Put together from the package's modules as its own
// dist/app.js does, less the friendly-error layer and global mode's start, as p5's own p5.min.js
// is built (IS_MINIFIED, Makefile): the harness reports errors and starts global mode itself.
import p5 from "p5-2/core";
import accessibility from "p5-2/accessibility";
import color from "p5-2/color";
import data from "p5-2/data";
import dom from "p5-2/dom";
import events from "p5-2/events";
import image from "p5-2/image";
import io from "p5-2/io";
import math from "p5-2/math";
import shape from "p5-2/shape";
import type from "p5-2/type";
import utilities from "p5-2/utilities";
import webgl from "p5-2/webgl";
// Not in the package's exports, but in its dist/app.js: shaders and p5.strands.
import shader from "../../../../node_modules/p5-2/dist/webgl/p5.Shader.js";
import strands from "../../../../node_modules/p5-2/dist/strands/p5.strands.js";

for (const addon of [shape, accessibility, color, data, dom, events, image, io, math, utilities, webgl, type]) addon(p5);
p5.registerAddon(shader);
p5.registerAddon(strands);

window.p5 = p5;
