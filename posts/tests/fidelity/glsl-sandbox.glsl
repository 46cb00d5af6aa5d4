#ifdef GL_ES
precision mediump float;
#endif

#extension GL_OES_standard_derivatives : enable

uniform float time;
uniform vec2 mouse;
uniform vec2 resolution;

void main( void ) {

	vec2 position = ( gl_FragCoord.xy / resolution.xy );
	vec2 aspect = vec2( resolution.x / resolution.y, 1.0 );
	float d = distance( position * aspect, mouse * aspect );
	float ring = step( abs( d - 0.2 - 0.03 * sin( time * 2.0 ) ), 0.01 );
	vec3 color = d < 0.12 ? vec3( 1.0, 0.85, 0.0 ) : mix( vec3( 0.05, 0.0, 0.25 ), vec3( 1.0, 0.4, 0.0 ), ring );

	gl_FragColor = vec4( color, 1.0 );

}
