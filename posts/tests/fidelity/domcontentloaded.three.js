// Waits for DOMContentLoaded, then appends its renderer's canvas.
document.addEventListener("DOMContentLoaded", () => {
  const renderer = new THREE.WebGLRenderer();
  renderer.setSize(window.innerWidth, window.innerHeight);
  document.body.appendChild(renderer.domElement);

  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0x331144);
  const camera = new THREE.OrthographicCamera(-1, 1, 1, -1, 0, 10);
  camera.position.z = 1;
  const plane = new THREE.Mesh(new THREE.PlaneGeometry(1, 1), new THREE.MeshBasicMaterial({ color: 0xee3322 }));
  scene.add(plane);

  renderer.setAnimationLoop((time) => {
    plane.rotation.z = 0.0001 * time;
    renderer.render(scene, camera);
  });
});
