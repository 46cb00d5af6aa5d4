// canvas, ctx, width and height are given. Draw a frame, then ask for the next one.
function frame(time) {
  ctx.fillStyle = "#10233f";
  ctx.fillRect(0, 0, width, height);
  const radius = Math.min(width, height) * (0.2 + 0.1 * Math.sin(time / 1000));
  ctx.fillStyle = "#f59e0b";
  ctx.beginPath();
  ctx.arc(width / 2, height / 2, radius, 0, Math.PI * 2);
  ctx.fill();
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
