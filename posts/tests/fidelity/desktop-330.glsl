#version 330 core
// A desktop OpenGL fragment shader, as a post-processing tutorial writes one.
out vec4 FragColor;
in vec2 TexCoords;

uniform float iTime;

void main()
{
    vec2 uv = TexCoords;
    vec3 col = 0.5 + 0.5 * cos(6.2831 * (uv.x + vec3(0.0, 0.33, 0.67)) + iTime * 0.0);
    FragColor = vec4(col * step(0.1, uv.y), 1.0);
}
