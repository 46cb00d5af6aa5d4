// glslCanvas / glslViewer: u_date, u_delta and u_frame beside u_resolution, and the texture
// coordinate of the default vertex shader, v_texcoord. Only some of them are declared.
#ifdef GL_ES
precision mediump float;
#endif

uniform vec4 u_date;
varying vec2 v_texcoord;

void main() {
    vec2 uv = v_texcoord;
    float frameLength = step(0.001, u_delta) * step(u_delta, 0.2);
    float dated = step(2024.0, u_date.x) * step(u_date.y, 11.0);
    float counted = step(0.0, float(u_frame));
    vec3 col = uv.x < 0.33 ? vec3(0.0, frameLength, 0.0)
             : uv.x < 0.66 ? vec3(0.0, 0.0, dated * counted)
             : vec3(uv.y, 0.0, 0.0);
    gl_FragColor = vec4(col, 1.0);
}
