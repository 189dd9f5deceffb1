/** @type {import('tailwindcss').Config} */
module.exports = {
  content: ["./views/**/*.templ", "./views/phrase/*.go", "./assets/js/**/*.js"],
  theme: {
    extend: {
      colors: {
        brand: {
          50: "#eef5ff",
          100: "#d9e8ff",
          300: "#7fb0f5",
          700: "#0a4aa3",
          800: "#083b82",
          900: "#062c61",
        },
      },
      fontFamily: {
        sans: [
          "system-ui",
          "-apple-system",
          "BlinkMacSystemFont",
          '"Hiragino Sans"',
          '"Hiragino Kaku Gothic ProN"',
          '"Noto Sans JP"',
          '"Yu Gothic UI"',
          "Meiryo",
          "sans-serif",
        ],
      },
    },
  },
  plugins: [],
};
