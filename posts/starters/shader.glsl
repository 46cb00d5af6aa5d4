// A fragment shader: u_resolution and u_time are given (Shadertoy's mainImage works too).
precision mediump float;
uniform vec2 u_resolution;
uniform float u_time;

void main() {
    vec2 st = gl_FragCoord.xy / u_resolution.xy;
    vec3 colour = 0.5 + 0.5 * cos(u_time + st.xyx + vec3(0.0, 2.0, 4.0));
    gl_FragColor = vec4(colour, 1.0);
}
