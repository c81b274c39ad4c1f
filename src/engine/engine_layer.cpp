// placeholder so the layer library exists before its first source lands
