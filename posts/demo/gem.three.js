// An orange gem on a dark grey floor. The renderer makes its own canvas and appends it, as many
// three.js examples do, and a requestAnimationFrame loop turns the gem.
const renderer = new THREE.WebGLRenderer({ antialias: true });
renderer.setSize(window.innerWidth, window.innerHeight);
document.body.appendChild(renderer.domElement);

const scene = new THREE.Scene();
scene.background = new THREE.Color("#202020");

const camera = new THREE.PerspectiveCamera(45, window.innerWidth / window.innerHeight, 0.1, 100);
camera.position.set(0, 0.6, 5);
camera.lookAt(0, 0, 0);

const gem = new THREE.Mesh(
  new THREE.IcosahedronGeometry(1.2, 0),
  new THREE.MeshStandardMaterial({ color: "#ff7a00", flatShading: true, roughness: 0.35 }),
);
scene.add(gem);

const light = new THREE.DirectionalLight("#ffffff", 2);
light.position.set(-3, 4, 5);
scene.add(light);
scene.add(new THREE.AmbientLight("#ffffff", 0.8));

function animate(time) {
  gem.rotation.y = time / 1200;
  renderer.render(scene, camera);
  requestAnimationFrame(animate);
}
requestAnimationFrame(animate);
