// GLSL Sandbox feedback: a dot crossing the screen in its first second leaves a trail in backbuffer.
#ifdef GL_ES
precision mediump float;
#endif

uniform float time;
uniform vec2 resolution;
uniform sampler2D backbuffer;

void main( void ) {
	vec2 uv = gl_FragCoord.xy / resolution.xy;
	vec2 aspect = vec2( resolution.x / resolution.y, 1.0 );
	vec2 dot = vec2( 0.1 + 0.8 * clamp( time, 0.0, 1.0 ), 0.5 );
	float here = step( distance( uv * aspect, dot * aspect ), 0.06 );
	vec3 before = texture2D( backbuffer, uv ).rgb;
	gl_FragColor = vec4( max( before, vec3( here ) ), 1.0 );
}
