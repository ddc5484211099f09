"""Image backends: inpainting, text-to-image, colorization and style transfer."""
