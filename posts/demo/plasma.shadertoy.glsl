// Shadertoy convention: mainImage(out fragColor, in fragCoord) with iResolution and iTime.
// Magenta in the middle, fading out through moving rings to dark violet at the edges.
void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    vec2 uv = (fragCoord - 0.5 * iResolution.xy) / iResolution.y;
    float d = length(uv);
    float rings = 0.5 + 0.5 * sin(24.0 * d - 3.0 * iTime);
    vec3 magenta = vec3(1.0, 0.0, 1.0);
    vec3 violet = vec3(0.2, 0.0, 0.35) * (0.6 + 0.4 * rings);
    fragColor = vec4(mix(magenta, violet, smoothstep(0.08, 0.45, d)), 1.0);
}
