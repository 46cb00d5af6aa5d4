// canvas: the post's code runs as a classic script with canvas, ctx, width and height as globals.
window.__renderHarness.runSketch({});
