// An old Shadertoy post: iGlobalTime and texture2D, from before WebGL2.
void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    vec2 uv = fragCoord.xy / iResolution.xy;
    vec4 noise = texture2D(iChannel0, uv);
    float t = iGlobalTime;
    fragColor = vec4(uv.x, uv.y, 0.5 + 0.0 * sin(t), 1.0) + noise;
}
