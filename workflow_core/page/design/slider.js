(function () {
  var track = document.getElementById("testimonial-track");
  var controls = document.querySelector(".slider-controls");
  if (!track || !controls) return;
  controls.hidden = false;
  controls.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-dir]");
    if (!button) return;
    var card = track.querySelector(".testimonial");
    var step = card ? card.getBoundingClientRect().width + 20 : track.clientWidth;
    track.scrollBy({ left: Number(button.dataset.dir) * step, behavior: "smooth" });
  });
})();
