// three: like canvas, plus THREE, the whole namespace of the pinned three package (served by us).
import * as THREE from "three";

window.__renderHarness.runSketch({ THREE });
