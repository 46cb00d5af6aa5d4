// p5.js 2.x in instance mode: a WEBGL canvas the size of the window, a shader of our own made
// with createShader(), a sphere and a torus turned by millis(). The shader colours each surface by
// how squarely it faces the camera: cyan where it faces it, violet at the rims.
const VERTEX = `
precision highp float;
attribute vec3 aPosition;
attribute vec3 aNormal;
uniform mat4 uModelViewMatrix;
uniform mat4 uProjectionMatrix;
uniform mat3 uNormalMatrix;
varying vec3 vNormal;
void main() {
  vNormal = normalize(uNormalMatrix * aNormal);
  gl_Position = uProjectionMatrix * uModelViewMatrix * vec4(aPosition, 1.0);
}`;

const FRAGMENT = `
precision highp float;
varying vec3 vNormal;
uniform float uTime;
void main() {
  float facing = clamp(normalize(vNormal).z, 0.0, 1.0);
  vec3 rim = vec3(0.55 + 0.2 * sin(uTime), 0.1, 0.9);
  vec3 core = vec3(0.0, 0.8, 1.0);
  gl_FragColor = vec4(mix(rim, core, pow(facing, 3.0)), 1.0);
}`;

new p5((p) => {
  let glow;

  p.setup = () => {
    p.createCanvas(p.windowWidth, p.windowHeight, p.WEBGL);
    glow = p.createShader(VERTEX, FRAGMENT);
    p.noStroke();
  };

  p.draw = () => {
    const seconds = p.millis() / 1000;
    const size = Math.min(p.width, p.height);
    p.background("#0b0d1a");
    p.shader(glow);
    glow.setUniform("uTime", seconds);
    p.sphere(size * 0.18, 48, 32);
    p.rotateX(1.1 + seconds * 0.6);
    p.rotateY(seconds * 0.9);
    p.torus(size * 0.32, size * 0.035, 64, 16);
  };

  p.windowResized = () => p.resizeCanvas(p.windowWidth, p.windowHeight);
});
