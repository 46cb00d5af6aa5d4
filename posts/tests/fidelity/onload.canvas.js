// Starts on window.onload and makes its own canvas.
window.onload = function () {
  const c = document.createElement("canvas");
  c.width = window.innerWidth;
  c.height = window.innerHeight;
  document.body.appendChild(c);
  const g = c.getContext("2d");
  g.fillStyle = "#0b7a75";
  g.fillRect(0, 0, c.width, c.height);
  g.fillStyle = "#f4d35e";
  g.fillRect(c.width * 0.25, c.height * 0.25, c.width * 0.5, c.height * 0.5);
};
