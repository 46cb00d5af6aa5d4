// A renderer of a fixed size, appended to the page, as many three.js snippets size theirs.
const renderer = new THREE.WebGLRenderer({ antialias: true });
renderer.setSize(360, 360);
document.body.appendChild(renderer.domElement);

const scene = new THREE.Scene();
scene.background = new THREE.Color(0x3a0ca3);
const camera = new THREE.PerspectiveCamera(50, 1, 0.1, 100);
camera.position.z = 4;
const ball = new THREE.Mesh(new THREE.IcosahedronGeometry(1, 3), new THREE.MeshBasicMaterial({ color: 0xf72585 }));
scene.add(ball);

renderer.setAnimationLoop((time) => {
  ball.rotation.y = time / 1000;
  renderer.render(scene, camera);
});
