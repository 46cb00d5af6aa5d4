// The habits of the three.js examples: a #container the renderer goes in and an #info line,
// both from the page the example was written for.
let camera, scene, renderer, mesh;

init();
animate();

function init() {
  const container = document.getElementById("container");
  document.getElementById("info").innerHTML = 'three.js - <a href="https://threejs.org">a turning box</a>';

  camera = new THREE.PerspectiveCamera(45, window.innerWidth / window.innerHeight, 1, 100);
  camera.position.z = 6;

  scene = new THREE.Scene();
  scene.background = new THREE.Color(0x102030);

  mesh = new THREE.Mesh(new THREE.BoxGeometry(2, 2, 2), new THREE.MeshBasicMaterial({ color: 0xffcc00 }));
  scene.add(mesh);

  renderer = new THREE.WebGLRenderer({ antialias: true });
  renderer.setPixelRatio(window.devicePixelRatio);
  renderer.setSize(window.innerWidth, window.innerHeight);
  container.appendChild(renderer.domElement);

  window.addEventListener("resize", onWindowResize);
}

function onWindowResize() {
  camera.aspect = window.innerWidth / window.innerHeight;
  camera.updateProjectionMatrix();
  renderer.setSize(window.innerWidth, window.innerHeight);
}

function animate() {
  requestAnimationFrame(animate);
  mesh.rotation.z += 0.01;
  renderer.render(scene, camera);
}
