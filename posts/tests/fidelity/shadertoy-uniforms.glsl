// Shadertoy's whole single-pass set: each test lights one channel when the uniform holds what
// Shadertoy gives a pass with no inputs (grey from the bottom up when all do); HW_PERFORMANCE
// picks the antialiasing.
#if HW_PERFORMANCE == 0
#define AA 1
#else
#define AA 2
#endif

void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    vec2 uv = fragCoord / iResolution.xy;
    float rate = step(abs(iFrameRate - 60.0), 0.5) * step(abs(iSampleRate - 44100.0), 0.5);
    float delta = step(iTimeDelta, 0.2) * step(0.0001, iTimeDelta);
    float empty = 1.0 - step(0.5, iChannelResolution[0].x + iChannelTime[0] + iChannelResolution[3].y);
    float black = 1.0 - step(0.01, texture(iChannel0, uv).r + texture(iChannel3, uv).g);
    float aa = AA == 1 ? 1.0 : 0.0;
    float mouse = iMouse.z <= 0.0 ? 1.0 : 0.0;
    float frames = iFrame >= 0 ? 1.0 : 0.0;
    vec3 passed = uv.x < 0.5 ? vec3(rate, delta, empty) : vec3(black, aa, mouse * frames);
    fragColor = vec4(passed * (0.6 + 0.4 * uv.y), 1.0);
}
