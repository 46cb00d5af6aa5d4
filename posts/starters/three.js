// THREE, canvas, width and height are given; render into the given canvas.
const renderer = new THREE.WebGLRenderer({ canvas, antialias: true });
renderer.setSize(width, height, false);
const scene = new THREE.Scene();
const camera = new THREE.PerspectiveCamera(50, width / height, 0.1, 100);
camera.position.z = 4;
const box = new THREE.Mesh(new THREE.BoxGeometry(1.5, 1.5, 1.5), new THREE.MeshNormalMaterial());
scene.add(box);
renderer.setAnimationLoop((time) => {
  box.rotation.set(time / 1500, time / 1000, 0);
  renderer.render(scene, camera);
});
