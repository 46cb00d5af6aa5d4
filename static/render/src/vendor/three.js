// three.js as a classic script, like the build/three.min.js three shipped until r160: it defines
// the global THREE, which the three runner hands to the post. Bundled on its own (Makefile).
"use strict"; // three.js is written as a module, which is strict; so is this script
import * as THREE from "three";

window.THREE = THREE;
