// Shadertoy code that declares the uniforms it uses itself.
uniform vec3 iResolution;
uniform float iTime;

void mainImage(out vec4 c, in vec2 p) {
    vec2 uv = p / iResolution.xy;
    c = vec4(0.0, uv.x, 0.3 + 0.0 * iTime, 1.0);
}
