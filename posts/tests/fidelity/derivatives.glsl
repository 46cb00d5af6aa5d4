// WebGL1 with fwidth() and no #extension line: an antialiased ring.
precision mediump float;
uniform vec2 u_resolution;

void main() {
    vec2 st = gl_FragCoord.xy / u_resolution.y;
    float d = length(st - vec2(0.5 * u_resolution.x / u_resolution.y, 0.5));
    float ring = abs(d - 0.3);
    float w = fwidth(ring);
    float a = 1.0 - smoothstep(0.03 - w, 0.03 + w, ring);
    gl_FragColor = vec4(mix(vec3(0.1, 0.1, 0.12), vec3(1.0, 0.5, 0.0), a), 1.0);
}
