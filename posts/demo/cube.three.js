// A green cube turning in front of a navy background, lit by a directional and an ambient light.
// THREE, canvas, width and height are given; the renderer draws into the given canvas.
const renderer = new THREE.WebGLRenderer({ canvas, antialias: true });
renderer.setSize(width, height, false);

const scene = new THREE.Scene();
scene.background = new THREE.Color("#10233f");

const camera = new THREE.PerspectiveCamera(50, width / height, 0.1, 100);
camera.position.set(0, 0, 4);

const cube = new THREE.Mesh(
  new THREE.BoxGeometry(1.6, 1.6, 1.6),
  new THREE.MeshStandardMaterial({ color: "#22c55e", roughness: 0.5 }),
);
scene.add(cube);

const sun = new THREE.DirectionalLight("#ffffff", 2.5);
sun.position.set(2, 3, 4);
scene.add(sun);
scene.add(new THREE.AmbientLight("#ffffff", 0.6));

renderer.setAnimationLoop((time) => {
  cube.rotation.x = time / 2000;
  cube.rotation.y = time / 1500;
  renderer.render(scene, camera);
});
