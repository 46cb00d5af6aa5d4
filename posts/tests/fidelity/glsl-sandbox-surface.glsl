// GLSL Sandbox's surface: surfacePosition is the position on a surface 1 unit high, centred on 0.
precision mediump float;

uniform float time;
varying vec2 surfacePosition;

void main() {
	vec2 p = surfacePosition;
	vec3 c = length(p) < 0.25 ? vec3(0.0, 0.9, 0.4) : vec3(0.9, 0.9, 0.95);
	gl_FragColor = vec4(c * (p.x < 0.0 ? 1.0 : 0.5), 1.0);
}
