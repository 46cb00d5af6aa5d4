// A Shadertoy shader ported to a page of its own: main() calls mainImage, and the uniforms are
// the host's, used but never declared.
void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    vec2 uv = fragCoord / iResolution.xy;
    vec3 col = mix(vec3(0.9, 0.35, 0.1), vec3(0.1, 0.3, 0.9), uv.y) * (0.97 + 0.03 * sin(iTime));
    // A second hand sweeping with the clock of the day.
    float angle = 6.2831 * fract(iDate.w / 60.0);
    vec2 p = (fragCoord - 0.5 * iResolution.xy) / iResolution.y;
    float hand = step(abs(dot(p, vec2(cos(angle), -sin(angle)))), 0.004) * step(length(p), 0.3);
    fragColor = vec4(mix(col, vec3(1.0), hand), 1.0);
}

void main() {
    mainImage(gl_FragColor, gl_FragCoord.xy);
}
